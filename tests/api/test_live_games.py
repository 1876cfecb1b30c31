"""GET /api/live-games and the Live games page: what a signed-in player who is not playing sees.

Every API response is checked against the OpenAPI document (the `app` fixture's client), so
these also prove that the document describes the list.
"""

from __future__ import annotations

import re
from typing import Any

from tests.support.players import ApiPlayer


def live(who: ApiPlayer) -> list[dict[str, Any]]:
    response = who.call("GET", "/api/live-games")
    assert response.status_code == 200, response.get_json()
    games: list[dict[str, Any]] = response.get_json()["games"]
    return games


def test_any_signed_in_player_sees_the_games_being_played(player: Any) -> None:
    ann, bob, watcher = player(), player(), player()
    assert live(watcher) == []
    game = bob.accept(ann.invite(bob))
    ann.invite(watcher)  # an invitation: not listed
    bob.move(game, 4)

    (shown,) = live(watcher)

    assert shown["id"] == game["id"]
    assert (shown["host"], shown["opponent"], shown["status"]) == (
        ann.name,
        bob.name,
        "IN_PROGRESS",
    )
    assert shown["board"][4] == "X" and shown["turn"] == ann.name


def test_signed_out_the_list_is_refused(app: Any) -> None:
    response = app.test_client().get("/api/live-games")
    assert response.status_code == 401
    assert "error" in response.get_json()


def test_a_finished_game_leaves_the_list(player: Any) -> None:
    ann, bob, watcher = player(), player(), player()
    game = bob.accept(ann.invite(bob))
    assert [g["id"] for g in live(watcher)] == [game["id"]]
    assert ann.call("POST", f"/api/games/{game['id']}/resign").status_code == 200
    assert live(watcher) == []


def test_the_page_lists_each_game_with_its_players_and_whose_move(player: Any) -> None:
    ann, bob, watcher = player(), player(), player()
    game = bob.accept(ann.invite(bob))
    page = watcher.client.get("/live").get_data(as_text=True)
    assert 'href="/live"' in page  # the header's link
    row = re.search(rf'<li class="row link-row" data-game="{game["id"]}">(.*?)</li>', page, re.S)
    assert row, "the game has no row"
    text = re.sub(r"<[^>]+>", " ", row.group(1))
    assert ann.name in text and bob.name in text
    assert f"{bob.name} to move" in text  # the invited player plays X and moves first
    assert f'href="/games/{game["id"]}"' in row.group(1)
    assert "Your turn" in bob.client.get("/live").get_data(as_text=True)


def test_the_page_says_so_when_nobody_is_playing(player: Any) -> None:
    page = player().client.get("/live").get_data(as_text=True)
    assert "Nobody is playing right now." in page


def test_signed_out_the_page_asks_to_sign_in(app: Any) -> None:
    response = app.test_client().get("/live")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/live"  # back here once signed in


def test_a_watcher_opens_the_game_read_only(player: Any) -> None:
    ann, bob, watcher = player(), player(), player()
    game = bob.accept(ann.invite(bob))
    page = watcher.client.get(f"/games/{game['id']}").get_data(as_text=True)
    assert 'id="board"' in page
    assert not re.search(r'<button[^>]*name="cell"(?![^>]*disabled)', page), "a cell is playable"
    assert 'id="resign"' not in page and 'id="claim"' not in page
    refused = watcher.move(game, 4)
    assert refused.status_code == 403
    assert watcher.call("POST", f"/api/games/{game['id']}/resign").status_code == 403
