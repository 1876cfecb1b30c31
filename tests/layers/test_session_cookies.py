"""The session cookie: signed only when the session changed, verified once per process, and
still refused once too old or tampered with, whether or not this process saw it before."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.players import ApiPlayer
from tictactoe.services import accounts


def cookie(who: ApiPlayer) -> str:
    found = who.client.get_cookie("session")
    assert found is not None
    return str(found.value)


def test_requests_that_change_nothing_send_no_cookie(player: Any) -> None:
    ann, bob = player(), player()
    game = bob.accept(ann.invite(bob))
    moved = bob.move(game, 4)
    assert moved.status_code == 200
    for response in (
        moved,
        ann.call("GET", f"/api/games/{game['id']}"),
        ann.call("GET", "/api/games"),
        ann.client.get("/"),
    ):
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


def test_a_cookie_seen_before_still_expires_at_the_end_of_its_lifetime(
    player: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = player()
    assert ann.call("GET", "/api/me").status_code == 200  # verified: now known to the process
    signed = time.time()
    monkeypatch.setattr(time, "time", lambda: signed + accounts.IDLE_SECONDS + 5)
    assert ann.call("GET", "/api/me").status_code == 401


def test_a_cookie_from_the_future_is_refused_though_seen_before(
    player: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = player()
    assert ann.call("GET", "/api/me").status_code == 200
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 120)  # the clock stepped back
    assert ann.call("GET", "/api/me").status_code == 401


def test_a_tampered_copy_of_a_known_cookie_is_refused(app: Any, player: Any) -> None:
    ann = player()
    assert ann.call("GET", "/api/me").status_code == 200
    value = cookie(ann)
    payload, _, signature = value.rpartition(".")
    forged = f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    thief = ApiPlayer(app.test_client(), "thief")
    thief.client.set_cookie("session", forged)
    assert thief.call("GET", "/api/me").status_code == 401
    thief.client.set_cookie("session", value)  # the genuine cookie, copied, still works
    assert thief.call("GET", "/api/me").status_code == 200
