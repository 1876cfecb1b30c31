"""Signing in from a link returns to it: the app's own paths only, never another site."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.pages.test_pages import Browser, game_id, signed_up
from tests.support.players import PASSWORD
from tictactoe.web.returns import safe_next

ATTEMPTS = [
    "//evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " /games",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/games//evil.example",
    "/" + "a" * 600,
    "",
]


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_only_the_apps_own_paths_are_returned_to(attempt: str) -> None:
    assert safe_next(attempt) is None


@pytest.mark.parametrize("path", ["/", "/games/abcdefghijkl", "/players/ann_1", "/?v=3&x=a-b"])
def test_plain_paths_are(path: str) -> None:
    assert safe_next(path) == path


def test_a_link_opened_signed_out_asks_to_sign_in_and_returns_to_it(app: Any) -> None:
    host, guest = signed_up(app, "lena"), signed_up(app, "luc")
    host.submit("/games", opponent="luc")
    gid = game_id(host)
    visitor = Browser(app)
    response = visitor.get(f"/games/{gid}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/?next=/games/{gid}"
    visitor.get(response.headers["Location"])
    assert "you will go straight there" in visitor.page
    assert visitor.page.count(f'name="next" value="/games/{gid}"') == 2  # sign in and sign up
    response = visitor.submit("/login", username="luc", password=PASSWORD, next=f"/games/{gid}")
    assert response.status_code == 200 and response.request.path == f"/games/{gid}"
    assert visitor.status() == "lena invited you to a game."
    del guest


def test_signing_up_from_a_link_returns_to_it_and_a_mistake_keeps_it(app: Any) -> None:
    visitor = Browser(app)
    visitor.get("/?next=/leaderboard")
    response = visitor.submit("/signup", username="x", password=PASSWORD, next="/leaderboard")
    assert response.status_code == 400 and 'name="next" value="/leaderboard"' in visitor.page
    response = visitor.submit("/signup", username="newbie", password=PASSWORD, next="/profile")
    assert response.status_code == 200 and response.request.path == "/profile"


@pytest.mark.parametrize("attempt", ATTEMPTS[:8])
def test_a_foreign_next_signs_in_and_goes_home(app: Any, attempt: str) -> None:
    signed_up(app, "olga")
    visitor = Browser(app)
    page = visitor.get(f"/?next={quote(attempt, safe='')}")
    assert page.status_code == 200 and 'name="next"' not in visitor.page
    token = visitor.page.split('name="csrf_token" value="')[1].split('"')[0]
    response = visitor.client.post(
        "/login",
        data={"csrf_token": token, "username": "olga", "password": PASSWORD, "next": attempt},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_form_posted_after_the_session_ended_goes_home_without_a_return(app: Any) -> None:
    visitor = Browser(app)
    visitor.get("/")
    response = visitor.client.post(
        "/games",
        data={
            "opponent": "olga",
            "csrf_token": visitor.page.split('name="csrf_token" value="')[1].split('"')[0],
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
