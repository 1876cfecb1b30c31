"""The game page a form post's redirect opens shows the game that post wrote (web/landing.py):
the same page a reload shows, never a game the other player has changed since it was dropped,
and a reload still reads the game. What it saves in reads: tests/store/test_capacity_landing.py.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from tests.pages.test_pages import Browser, signed_up
from tests.services.test_accounts import Clock
from tictactoe.web import auth
from tictactoe.web.landing import LANDING_SECONDS

_GAME = re.compile(r"data-game='([^']*)' data-state=\"([^\"]+)\"")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The sessions' clock, which also dates a carried game; still unless a test moves it."""
    fake = Clock()
    monkeypatch.setattr(auth, "clock", fake)
    return fake


def shown(browser: Browser) -> tuple[dict[str, Any], str]:
    """Return the game the page shows: its JSON for the page's script, and its state."""
    found = _GAME.search(browser.page)
    assert found, "the page shows no game"
    return json.loads(html.unescape(found.group(1))), found.group(2)


def post(browser: Browser, action: str, **fields: str) -> str:
    """Submit a form without following its redirect (as if the browser had not yet); return
    where the 303 points."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.page)
    assert token
    response = browser.client.post(action, data={"csrf_token": token.group(1), **fields})
    assert response.status_code == 303
    location: str = response.headers["Location"]
    return location


def test_the_page_after_an_invite_and_an_accept_is_the_page_a_reload_shows(
    app: Any, clock: Clock
) -> None:
    host, guest = signed_up(app, "lena"), signed_up(app, "liam")
    invited = post(host, "/games", opponent="liam")
    host.get(invited)
    landed = shown(host)
    assert landed[0]["status"] == "PENDING" and "Waiting for liam to accept" in host.status()
    host.get(invited)  # a reload: no carried game any more, the game is read
    assert shown(host) == landed

    gid = landed[0]["id"]
    guest.get("/")
    accepted = post(guest, f"/games/{gid}/accept")
    guest.get(accepted)
    started = shown(guest)
    assert started[0]["status"] == "IN_PROGRESS" and guest.status() == "Your turn."
    guest.get(accepted)
    assert shown(guest) == started


def test_a_reload_after_the_other_player_answered_shows_the_answer(app: Any, clock: Clock) -> None:
    host, guest = signed_up(app, "mona"), signed_up(app, "milo")
    invited = post(host, "/games", opponent="milo")
    host.get(invited)
    gid = shown(host)[0]["id"]
    guest.get("/")
    guest.submit(f"/games/{gid}/accept")
    host.get(invited)  # the same address as the redirect's, version and all
    assert shown(host)[0]["status"] == "IN_PROGRESS" and host.status() == "milo's turn…"


def test_a_redirect_followed_late_reads_the_game_as_it_is_now(app: Any, clock: Clock) -> None:
    host, guest = signed_up(app, "nora"), signed_up(app, "ned")
    invited = post(host, "/games", opponent="ned")
    gid = invited.split("/games/")[1].split("?")[0]
    guest.get("/")
    guest.submit(f"/games/{gid}/accept")
    clock.now += LANDING_SECONDS + 1
    host.get(invited)
    assert shown(host)[0]["status"] == "IN_PROGRESS" and host.status() == "ned's turn…"


def test_a_carried_game_shows_only_on_its_own_game_at_its_own_version(
    app: Any, clock: Clock
) -> None:
    host, guest = signed_up(app, "olga"), signed_up(app, "otto")
    invited = post(host, "/games", opponent="otto")  # carried: the invitation at version 1
    gid = invited.split("/games/")[1].split("?")[0]
    guest.get("/")
    guest.submit(f"/games/{gid}/accept")  # version 2
    host.get(f"/games/{gid}?v=2")  # a newer version asked for: the carried one is not it
    assert shown(host)[0]["status"] == "IN_PROGRESS"
    host.get(invited)  # and it was dropped: the version 1 address reads the game too
    assert shown(host)[0]["status"] == "IN_PROGRESS"


def landed_and_reloaded(browser: Browser, action: str, **fields: str) -> None:
    """Post the form, follow its redirect, then reload: both show the same game."""
    location = post(browser, action, **fields)
    browser.get(location)
    landed = shown(browser)
    browser.get(location)
    assert shown(browser) == landed, action


def test_every_form_post_that_writes_a_game_lands_on_the_page_a_reload_shows(
    app: Any, clock: Clock
) -> None:
    host, guest = signed_up(app, "pia"), signed_up(app, "paul")
    landed_and_reloaded(host, "/challenges")
    landed_and_reloaded(host, "/computer-games", level="easy", first="me")
    post(host, "/quick-play")  # waits: to the wait's page, which shows no game
    landed_and_reloaded(guest, "/quick-play")  # paired: the game
    gid = shown(guest)[0]["id"]
    waited = host.client.get("/quick-play")  # the wait's page looks again: to the game
    assert waited.status_code == 303
    host.get(waited.headers["Location"])
    landed = shown(host)
    host.get(waited.headers["Location"])
    assert shown(host) == landed and landed[0]["id"] == gid
    host.get(f"/games/{gid}")
    first, second = (guest, host) if shown(guest)[0]["turn"] == "paul" else (host, guest)
    for number, cell in enumerate([0, 3, 1, 4, 2]):  # the first to move takes the top row
        who = first if number % 2 == 0 else second
        who.get(f"/games/{gid}")
        landed_and_reloaded(who, f"/games/{gid}/move", cell=str(cell), state=who.state())
    assert shown(first)[0]["status"] == "FINISHED"
    landed_and_reloaded(second, f"/games/{gid}/rematch")  # asks: an invitation
    landed_and_reloaded(first, f"/games/{gid}/rematch")  # accepts: the rematch starts
    rematch = shown(first)[0]["id"]
    landed_and_reloaded(first, f"/games/{rematch}/resign")
    assert shown(first)[0]["status"] == "FINISHED"


def test_a_carried_game_of_another_shape_is_read_instead(app: Any, clock: Clock) -> None:
    """As one an instance of another release carried during a deployment might be."""
    host, _ = signed_up(app, "quin"), signed_up(app, "quinn")
    invited = post(host, "/games", opponent="quinn")
    for other in ('[1800000000.0, {"id": "x", "shape": "new"}]', "[1]", "not json"):
        with host.client.session_transaction() as session:
            session["landing"] = other
        assert host.get(invited).status_code == 200
        assert shown(host)[0]["status"] == "PENDING"
