"""Resign, claim, a player's results and the leaderboard over the JSON API: every row of the
contract, its failures included; responses checked against the OpenAPI document."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.players import ApiPlayer

DAY = 24 * 3600
TOP_ROW = [(0, "x"), (3, "o"), (1, "x"), (4, "o"), (2, "x")]  # X wins
TIE = [(0, "x"), (1, "o"), (2, "x"), (4, "o"), (3, "x"), (5, "o"), (7, "x"), (6, "o"), (8, "x")]


@pytest.fixture
def pair(player: Any) -> tuple[ApiPlayer, ApiPlayer, dict[str, Any]]:
    """A host (plays O) and the opponent they invited (plays X, to move), game accepted."""
    host, opponent = player(), player()
    return host, opponent, opponent.accept(host.invite(opponent))


def post(who: ApiPlayer, game: dict[str, Any], action: str) -> Any:
    return who.call("POST", f"/api/games/{game['id']}/{action}")


def results(who: ApiPlayer, name: str) -> dict[str, Any]:
    response = who.call("GET", f"/api/players/{name}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def counts(who: ApiPlayer, name: str) -> tuple[int, int, int, int]:
    found = results(who, name)
    return found["wins"], found["losses"], found["ties"], found["rating"]


def wind_clock(app: Any, seconds: float) -> None:
    app.extensions["tictactoe"].games.clock = lambda: time.time() + seconds


def play(host: ApiPlayer, opponent: ApiPlayer, game: dict[str, Any], moves: list) -> Any:
    response = None
    for cell, mark in moves:
        response = (opponent if mark == "x" else host).move(game, cell)
        assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[union-attr]


# -- a player's results ---------------------------------------------------------------------


def test_a_new_player_has_no_results_and_the_starting_rating(pair: Any) -> None:
    host, opponent, _ = pair
    assert results(host, opponent.name.upper()) == {
        "username": opponent.name,
        "avatar_url": f"/avatars/{opponent.name}/default.svg",
        "wins": 0,
        "losses": 0,
        "ties": 0,
        "rating": 1200,
    }


@pytest.mark.parametrize("name", ["nobody-at-all", "no", "x" * 21, "a b c", "skeleton#abc"])
def test_an_unknown_player_is_404(pair: Any, name: str) -> None:
    response = pair[0].call("GET", f"/api/players/{name}")
    assert response.status_code == 404 and response.get_json()["error"]


def test_every_way_to_finish_counts_once(app: Any, pair: Any, player: Any) -> None:
    host, opponent, game = pair
    won = play(host, opponent, game, TOP_ROW)  # a line
    assert won["winner"] == opponent.name
    assert host.move(game, 8).status_code == 409  # nothing after the end, nothing counted
    assert counts(host, opponent.name) == (1, 0, 0, 1216)
    assert counts(opponent, host.name) == (0, 1, 0, 1184)

    tie = opponent.accept(host.invite(opponent))
    play(host, opponent, tie, TIE)  # a full board: a tie, between unequal ratings
    resigned = opponent.accept(host.invite(opponent))
    assert post(opponent, resigned, "resign").status_code == 200  # a resignation
    claimed = opponent.accept(host.invite(opponent))
    wind_clock(app, 3 * DAY + 60)
    assert post(host, claimed, "claim").status_code == 200  # a claim
    o_wins, o_losses, o_ties, o_rating = counts(host, opponent.name)
    h_wins, h_losses, h_ties, h_rating = counts(host, host.name)
    assert (o_wins, o_losses, o_ties) == (1, 2, 1) and (h_wins, h_losses, h_ties) == (2, 1, 1)
    assert o_rating + h_rating in (2399, 2400, 2401)  # points moved, none made (display rounding)


# -- resign -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["host", "opponent"])
def test_a_player_resigns_and_the_other_wins(pair: Any, who: str) -> None:
    host, opponent, game = pair
    quitter, other = (host, opponent) if who == "host" else (opponent, host)
    response = post(quitter, game, "resign")
    assert response.status_code == 200
    final = response.get_json()
    assert (final["status"], final["winner"], final["turn"]) == ("FINISHED", other.name, None)
    assert other.call("GET", f"/api/games/{game['id']}").get_json() == final
    assert counts(other, other.name) == (1, 0, 0, 1216)
    assert counts(other, quitter.name) == (0, 1, 0, 1184)
    finished = [g["id"] for g in other.call("GET", "/api/games").get_json()["finished"]]
    assert finished == [game["id"]]


def test_resign_failures(pair: Any, player: Any) -> None:
    host, opponent, game = pair
    stranger = player()
    assert post(stranger, game, "resign").status_code == 403
    pending = host.invite(stranger)
    assert post(host, pending, "resign").status_code == 409  # not started
    assert post(stranger, {"id": "nosuchgame000"}, "resign").status_code == 404
    assert post(host, game, "resign").status_code == 200
    again = post(opponent, game, "resign")
    assert again.status_code == 409 and again.get_json() == {"error": "this game is over"}
    assert counts(host, opponent.name) == (1, 0, 0, 1216)  # counted once
    assert counts(host, stranger.name) == (0, 0, 0, 1200)


# -- claim ------------------------------------------------------------------------------------


def test_the_waiting_player_claims_after_the_timeout(app: Any, pair: Any) -> None:
    host, opponent, game = pair
    moved = opponent.move(game, 4).get_json()  # now the host is to move, and does not
    early = post(opponent, game, "claim")
    assert early.status_code == 409
    when = (datetime.fromisoformat(moved["updated_at"]) + timedelta(days=3)).astimezone(UTC)
    named = when.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert named in early.get_json()["error"]  # says when, as claimable_at will
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["status"] == "IN_PROGRESS"
    wind_clock(app, 3 * DAY - 60)
    assert post(opponent, game, "claim").status_code == 409  # a minute early still
    wind_clock(app, 3 * DAY + 60)
    response = post(opponent, game, "claim")
    assert response.status_code == 200
    final = response.get_json()
    assert (final["status"], final["winner"]) == ("FINISHED", opponent.name)
    assert counts(host, opponent.name) == (1, 0, 0, 1216)
    assert counts(host, host.name) == (0, 1, 0, 1184)


def test_claim_failures(app: Any, pair: Any, player: Any) -> None:
    host, opponent, game = pair
    stranger = player()
    wind_clock(app, 3 * DAY + 60)
    assert post(stranger, game, "claim").status_code == 403  # not a player
    own_turn = post(opponent, game, "claim")  # the opponent (X) is to move
    assert own_turn.status_code == 403 and "your turn" in own_turn.get_json()["error"]
    assert post(host, host.invite(stranger), "claim").status_code == 409  # not started
    assert post(host, {"id": "nosuchgame000"}, "claim").status_code == 404
    assert post(host, game, "claim").status_code == 200
    again = post(host, game, "claim")
    assert again.status_code == 409 and again.get_json() == {"error": "this game is over"}
    assert counts(host, host.name) == (1, 0, 0, 1216)


# -- leaderboard ------------------------------------------------------------------------------


def test_the_leaderboard_ranks_by_rating_then_wins(pair: Any, player: Any) -> None:
    host, opponent, game = pair
    assert host.call("GET", "/api/leaderboard").get_json() == {"players": []}
    post(host, game, "resign")  # opponent 1216, host 1184
    third = player()
    tie = third.accept(host.invite(third))
    play(host, third, tie, TIE)  # host 1184 and third 1200 tie: host gains, third loses
    board = host.call("GET", "/api/leaderboard").get_json()["players"]
    assert [p["username"] for p in board] == [opponent.name, third.name, host.name]
    assert [p["rating"] for p in board] == sorted((p["rating"] for p in board), reverse=True)
    assert board[0] == {
        **results(host, opponent.name),
        "avatar_url": f"/avatars/{opponent.name}/default.svg",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/games/abcdefghijkl/resign"),
        ("POST", "/api/games/abcdefghijkl/claim"),
        ("GET", "/api/players/someone"),
        ("GET", "/api/leaderboard"),
    ],
)
def test_signed_out_requests_get_401(app: Any, method: str, path: str) -> None:
    client = ApiPlayer(app.test_client(), "x")
    client.refresh_csrf()
    response = client.call(method, path)
    assert response.status_code == 401 and response.get_json() == {"error": "sign in first"}


@pytest.mark.parametrize("action", ["resign", "claim"])
def test_resign_and_claim_need_the_csrf_token_and_change_nothing_without(
    app: Any, pair: Any, action: str
) -> None:
    host, opponent, game = pair
    wind_clock(app, 3 * DAY + 60)
    response = host.call("POST", f"/api/games/{game['id']}/{action}", headers={"X-CSRFToken": ""})
    assert response.status_code == 400 and "CSRF" in response.get_json()["error"]
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["status"] == "IN_PROGRESS"
    assert counts(host, host.name) == (0, 0, 0, 1200)
