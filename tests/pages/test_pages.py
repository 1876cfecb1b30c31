"""HTML pages and plain form posts: the game works with JavaScript off; errors are pages."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import pytest

from devstack.processes import free_port
from tests.conftest import make_settings
from tests.support.players import PASSWORD
from tictactoe import create_app


class Browser:
    """A browser with JavaScript off: GETs pages and submits their forms."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        self.page = ""

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        self.page = response.get_data(as_text=True)
        return response

    def submit(self, action: str, **fields: Any) -> Any:
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.page)
        assert token, "the page has no form with a CSRF token"
        response = self.client.post(
            action, data={"csrf_token": token.group(1), **fields}, follow_redirects=True
        )
        self.page = response.get_data(as_text=True)
        return response

    def state(self) -> str:
        found = re.search(r'name="state" value="([^"]+)"', self.page)
        assert found
        return found.group(1)

    def status(self) -> str:
        """Return what the game page's status line says.

        The page carries every status sentence for its script too, so finding one somewhere
        in the page would prove nothing: only the status line says which applies.
        """
        found = re.search(r'<p id="status"[^>]*>([^<]*)</p>', self.page)
        assert found, "the page has no status line"
        return html.unescape(found.group(1))


def signed_up(app: Any, name: str) -> Browser:
    browser = Browser(app)
    browser.get("/")
    response = browser.submit("/signup", username=name, password=PASSWORD)
    assert response.status_code == 200 and f'<span class="who">{name}</span>' in browser.page
    return browser


def game_id(browser: Browser) -> str:
    found = re.search(r'action="/games/([A-Za-z0-9_-]+)/move"', browser.page)
    assert found
    return found.group(1)


def test_a_whole_game_with_javascript_off(app: Any) -> None:
    host, guest = signed_up(app, "hannah"), signed_up(app, "gus")
    host.submit("/games", opponent="gus")
    gid = game_id(host)
    assert "Waiting for gus to accept" in host.status()
    guest.get("/")
    assert "hannah</a> invited you" in guest.page
    guest.submit(f"/games/{gid}/accept")
    assert guest.status() == "Your turn."
    for who, cell in [(guest, 0), (host, 3), (guest, 1), (host, 4), (guest, 2)]:
        who.get(f"/games/{gid}")
        response = who.submit(f"/games/{gid}/move", cell=cell, state=who.state())
        assert response.status_code == 200
    assert guest.status() == "You won!"
    host.get(f"/games/{gid}")
    assert host.status() == "gus won."
    host.get("/")
    assert 'class="badge lost">Lost' in host.page


def test_form_errors_are_pages_with_the_message_and_a_4xx(app: Any) -> None:
    host, guest = signed_up(app, "hal"), signed_up(app, "gia")
    host.submit("/games", opponent="gia")
    gid = game_id(host)
    guest.submit(f"/games/{gid}/accept")
    host.get(f"/games/{gid}")
    response = host.submit(f"/games/{gid}/move", cell=0)
    assert response.status_code == 409 and "it is not your turn" in host.page
    host.get("/")
    response = host.submit("/games", opponent="no-such-player")
    assert response.status_code == 404 and "there is no player called no-such-player" in host.page


def test_the_host_withdraws_an_invitation_with_a_button(app: Any) -> None:
    host, guest = signed_up(app, "wanda"), signed_up(app, "walt")
    host.submit("/games", opponent="walt")
    gid = game_id(host)
    assert f'action="/games/{gid}/cancel"' in host.page and "Withdraw invitation" in host.page
    guest.get(f"/games/{gid}")
    assert "/cancel" not in guest.page  # the invited player declines instead
    assert guest.submit(f"/games/{gid}/cancel").status_code == 403
    host.get(f"/games/{gid}")
    response = host.submit(f"/games/{gid}/cancel")
    assert response.status_code == 200 and "No invitations right now." in host.page
    guest.get("/")
    assert "wanda</a> invited you" not in guest.page


def test_inviting_someone_who_invited_you_opens_their_invitation(app: Any) -> None:
    host, guest = signed_up(app, "ivan"), signed_up(app, "iris")
    host.submit("/games", opponent="iris")
    gid = game_id(host)
    guest.get("/")
    response = guest.submit("/games", opponent="IVAN")
    assert response.status_code == 200 and game_id(guest) == gid
    assert guest.status() == "ivan invited you to a game."
    assert guest.submit(f"/games/{gid}/accept").status_code == 200
    assert guest.status() == "Your turn."


def test_an_expired_invitation_says_so_and_offers_no_accept(app: Any) -> None:
    host, guest = signed_up(app, "edna"), signed_up(app, "eric")
    host.submit("/games", opponent="eric")
    gid = game_id(host)
    games = app.extensions["tictactoe"].games
    later = games.clock() + games.expiry_seconds + 1
    games.clock = lambda: later
    guest.get(f"/games/{gid}")
    assert guest.status() == "This invitation has expired."
    assert f"/games/{gid}/accept" not in guest.page
    response = guest.submit(f"/games/{gid}/reject")  # declining it still tidies it away
    assert response.status_code == 200


def test_sign_in_and_sign_up_mistakes_keep_the_form(app: Any) -> None:
    signed_up(app, "taken")
    browser = Browser(app)
    browser.get("/")
    assert browser.submit("/signup", username="TAKEN", password=PASSWORD).status_code == 409
    assert "the name TAKEN is taken" in browser.page
    assert browser.submit("/login", username="taken", password="wrong-password").status_code == 401
    assert "wrong username or password" in browser.page


def test_forms_without_the_csrf_token_are_refused(app: Any) -> None:
    response = app.test_client().post("/signup", data={"username": "sneaky", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    browser = Browser(app)
    browser.get("/")
    assert browser.submit("/login", username="sneaky", password=PASSWORD).status_code == 401


def test_pages_forbid_inline_script_and_sniffing(app: Any) -> None:
    browser = signed_up(app, "csp")
    page = browser.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)", browser.page)  # no inline <script>


def test_unknown_pages_and_games_are_404_pages(app: Any) -> None:
    browser = signed_up(app, "lost")
    assert browser.get("/games/abcdefghijkl").status_code == 404
    assert "no such game" in browser.page
    assert browser.get("/no/such/page").status_code == 404


def test_signed_out_visitors_see_the_welcome_page(app: Any) -> None:
    browser = Browser(app)
    assert browser.get("/").status_code == 200 and "Create account" in browser.page
    # A page that needs a player sends the visitor to sign in, and back to it afterwards.
    response = browser.get("/games/abcdefghijkl")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/games/abcdefghijkl"


def test_the_debugger_stays_off_whatever_the_environment_says(
    moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app(make_settings()).debug is False


def test_a_database_outage_is_503_try_again_not_500(moto: None) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = create_app(make_settings(endpoint=dead))  # starts anyway, and says so in the log
    client = app.test_client()
    assert client.get("/health").status_code == 503
    token = client.get("/api/csrf").get_json()["csrf_token"]
    api = client.post(
        "/api/register",
        json={"username": "outage", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert api.status_code == 503 and api.headers["Retry-After"] == "2"
    assert "temporarily unavailable" in api.get_json()["error"]
    page = client.post(
        "/login", data={"username": "outage", "password": PASSWORD, "csrf_token": token}
    )
    assert page.status_code == 503 and "Try again in a moment" in page.get_data(as_text=True)


def test_health_is_ok_when_the_database_answers(app: Any) -> None:
    response = app.test_client().get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("push", [False, True])
def test_pages_open_streams_only_when_push_is_on(moto: None, push: bool) -> None:
    """The page is told, and loads the stream script, only when the app has a bus; without
    one it is the page of before push (it polls). No bus is contacted to render a page."""
    settings = make_settings()
    if push:  # nothing listens there: building the app and rendering its pages need no bus
        settings = replace(settings, push_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(settings)
    host, guest = signed_up(app, "pia"), signed_up(app, "pat")
    host.submit("/games", opponent="pat")
    pages = [host.page]
    guest.get("/")
    pages.append(guest.page)
    for page in pages:
        assert ('data-push="1"' in page) is push
        assert ("/static/live.js" in page) is push
