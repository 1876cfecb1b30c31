"""Cache-Control: what depends on the signed-in player is never stored by a cache; game polls
revalidate for a 304; picture objects and static files keep their own caching."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_pictures import photo, upload
from tests.support.players import ApiPlayer

# The views that choose their own caching; every other response is no-store.
OWN_CACHING = {"api.get_game", "pictures.picture", "pictures.default", "static"}


@pytest.fixture
def pair(player: Any) -> tuple[ApiPlayer, ApiPlayer, dict[str, Any]]:
    host, guest = player(), player()
    return host, guest, guest.accept(host.invite(guest))


def test_every_private_page_and_api_answer_is_no_store(app: Any, pair: Any) -> None:
    host, _, game = pair
    paths = {"/", "/profile", f"/games/{game['id']}", "/api/me", "/api/games", "/api/csrf"}
    for rule in app.url_map.iter_rules():  # and any GET route added since
        if "GET" in (rule.methods or ()) and rule.endpoint not in OWN_CACHING:
            if not rule.arguments:
                paths.add(rule.rule)
    for path in sorted(paths):
        response = host.client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("path", ["/", "/api/me", "/api/games", "/profile"])
def test_signed_out_and_error_answers_are_no_store(app: Any, path: str) -> None:
    response = app.test_client().get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/api/games/nosuchgame1").headers["Cache-Control"] == "no-store"


def test_state_changes_are_no_store(pair: Any) -> None:
    host, guest, game = pair
    moved = guest.move(game, 4)
    assert moved.status_code == 200
    assert moved.headers["Cache-Control"] == "private, no-cache"  # the game itself, see below
    assert host.call("POST", "/api/logout").headers["Cache-Control"] == "no-store"
    refused = host.call("POST", "/api/login", data=b"[[[", content_type="application/json")
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-store"


def test_a_polled_game_revalidates_privately_and_its_304_still_works(pair: Any) -> None:
    host, _, game = pair
    first = host.client.get(f"/api/games/{game['id']}")
    assert first.headers["Cache-Control"] == "private, no-cache" and first.headers["ETag"]
    again = host.client.get(
        f"/api/games/{game['id']}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.headers["Cache-Control"] == "private, no-cache"


def test_picture_objects_and_static_files_keep_their_caching(app: Any, player: Any) -> None:
    ada = player()
    url = upload(ada, photo()).get_json()["avatar_url"]
    picture = ada.client.get(url)
    assert picture.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    default = ada.client.get(f"/avatars/{ada.name}/default.svg")
    assert default.headers["Cache-Control"] == "private, max-age=86400"
    static = ada.client.get("/static/style.css")
    static.close()  # a file response: let go of the file
    assert static.status_code == 200 and "no-store" not in static.headers["Cache-Control"]
