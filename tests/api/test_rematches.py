"""POST /api/games/<id>/rematch, and the game fields moves, line, rematch and claimable_at.

Responses are checked against the OpenAPI document by the test client."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.players import PASSWORD, ApiPlayer
from tictactoe.store import MAX_SENT

WIN = [(0, "x"), (3, "o"), (1, "x"), (4, "o"), (2, "x")]  # X takes the top row


def finished_game(player: Any) -> tuple[ApiPlayer, ApiPlayer, dict[str, Any]]:
    """A host (played O) and an opponent (played X and won), their game over."""
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    for cell, mark in WIN:
        response = (opponent if mark == "x" else host).move(game, cell)
        assert response.status_code == 200, response.get_json()
    return host, opponent, response.get_json()


def rematch(who: ApiPlayer, game: dict[str, Any]) -> Any:
    return who.call("POST", f"/api/games/{game['id']}/rematch")


def shown(who: ApiPlayer, game_id: str) -> dict[str, Any]:
    response = who.call("GET", f"/api/games/{game_id}")
    assert response.status_code == 200
    return response.get_json()


def test_a_finished_game_shows_its_moves_and_winning_line(player: Any) -> None:
    host, opponent, game = finished_game(player)
    assert game["moves"] == [0, 3, 1, 4, 2]
    assert game["line"] == [0, 1, 2]
    assert game["rematch"] is None and game["claimable_at"] is None
    assert shown(host, game["id"])["moves"] == [0, 3, 1, 4, 2]


def test_a_game_in_progress_shows_when_the_waiting_player_may_claim(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    assert game["moves"] == [] and game["line"] is None
    timeout = app.extensions["tictactoe"].settings.turn_timeout_seconds
    since = datetime.fromisoformat(game["updated_at"].replace("Z", "+00:00"))
    claimable = datetime.fromisoformat(game["claimable_at"].replace("Z", "+00:00"))
    assert claimable - since == timedelta(seconds=timeout)
    moved = opponent.move(game, 4).get_json()
    assert moved["moves"] == [4] and moved["claimable_at"] > game["claimable_at"]
    assert host.invite(player())["claimable_at"] is None  # an invitation: nothing to claim


@pytest.mark.parametrize("asker", ["host (played O)", "opponent (played X)"])
def test_the_first_to_ask_invites_the_other_and_the_old_o_player_plays_x(
    player: Any, asker: str
) -> None:
    host, opponent, game = finished_game(player)
    me, other = (host, opponent) if asker.startswith("host") else (opponent, host)
    response = rematch(me, game)
    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert (new["status"], new["host"], new["opponent"]) == ("PENDING", me.name, other.name)
    assert (new["x_player"], new["o_player"]) == (host.name, opponent.name)  # swapped
    assert shown(other, game["id"])["rematch"] == new["id"]
    assert new["id"] in [g["id"] for g in other.call("GET", "/api/games").get_json()["invites"]]
    assert new["id"] in [g["id"] for g in me.call("GET", "/api/games").get_json()["sent"]]

    again = rematch(me, game)  # asking twice gives the same invitation
    assert again.status_code == 200 and again.get_json()["id"] == new["id"]
    assert again.get_json()["status"] == "PENDING"

    accepted = rematch(other, game)  # the other player's button accepts it
    assert accepted.status_code == 200, accepted.get_json()
    started = accepted.get_json()
    assert (started["id"], started["status"]) == (new["id"], "IN_PROGRESS")
    assert started["turn"] == started["x_player"] == host.name  # the old O player moves first
    assert host.move(started, 4).status_code == 200
    later = rematch(other, game)  # once started, asking again just shows it
    assert later.status_code == 200 and later.get_json() == shown(other, new["id"])


def test_the_rematch_of_a_rematch_swaps_the_marks_back(player: Any) -> None:
    host, opponent, game = finished_game(player)
    second = opponent.accept(rematch(host, game).get_json())  # host plays X now
    for cell, mark in WIN:
        done = (host if mark == "x" else opponent).move(second, cell)
    assert done.get_json()["winner"] == host.name
    third = rematch(host, second).get_json()
    assert third["id"] not in (game["id"], second["id"])
    assert third["x_player"] == opponent.name and third["o_player"] == host.name


def test_asking_for_a_rematch_changes_the_games_etag(player: Any) -> None:
    host, opponent, game = finished_game(player)
    state = host.call("GET", f"/api/games/{game['id']}").headers["ETag"]
    rematch(opponent, game)
    poll = host.call("GET", f"/api/games/{game['id']}", headers={"If-None-Match": state})
    assert poll.status_code == 200 and poll.get_json()["rematch"]


def test_rematch_failures(app: Any, player: Any) -> None:
    host, opponent, game = finished_game(player)
    stranger = player()
    response = rematch(stranger, game)
    assert response.status_code == 403 and "players" in response.get_json()["error"]
    assert shown(host, game["id"])["rematch"] is None  # the stranger changed nothing
    assert rematch(host, {"id": "nosuchgame000"}).status_code == 404
    invitation = host.invite(stranger)
    assert rematch(host, invitation).status_code == 409
    playing = stranger.accept(invitation)
    response = rematch(stranger, playing)
    assert response.status_code == 409 and "finished" in response.get_json()["error"]
    assert shown(host, playing["id"])["rematch"] is None
    without_csrf = opponent.client.post(f"/api/games/{game['id']}/rematch")
    assert without_csrf.status_code == 400
    signed_out = ApiPlayer(app.test_client(), "nobody")
    signed_out.refresh_csrf()
    assert rematch(signed_out, game).status_code == 401
    assert shown(host, game["id"])["rematch"] is None


def test_no_rematch_with_a_player_who_deleted_their_account(player: Any) -> None:
    host, opponent, game = finished_game(player)
    gone = opponent.call("DELETE", "/api/me", {"password": PASSWORD})
    assert gone.status_code == 204
    response = rematch(host, game)
    assert response.status_code == 409 and "deleted" in response.get_json()["error"]


def test_a_declined_rematch_can_be_asked_again(player: Any) -> None:
    host, opponent, game = finished_game(player)
    first = rematch(host, game).get_json()
    assert opponent.call("POST", f"/api/games/{first['id']}/reject").status_code == 204
    again = rematch(opponent, game)  # now the other player asks: their invitation, same id
    assert again.status_code == 201 and again.get_json()["id"] == first["id"]
    assert again.get_json()["host"] == opponent.name
    assert again.get_json()["x_player"] == host.name  # still the old O player
    assert host.accept(again.get_json())["status"] == "IN_PROGRESS"


def test_a_lapsed_rematch_is_asked_anew_by_whoever_presses(app: Any, player: Any) -> None:
    host, opponent, game = finished_game(player)
    first = rematch(host, game).get_json()
    games = app.extensions["tictactoe"].games
    later = games.clock() + games.expiry_seconds + 1
    games.clock = lambda: later
    response = rematch(opponent, game)  # not an accept of the lapsed one: a new invitation
    assert response.status_code == 201 and response.get_json()["id"] == first["id"]
    assert response.get_json()["host"] == opponent.name
    assert host.accept(response.get_json())["status"] == "IN_PROGRESS"


def test_a_rematch_lost_between_its_two_writes_is_made_by_the_next_to_ask(
    app: Any, player: Any
) -> None:
    """The asker's request died after naming the rematch, before putting it."""
    host, opponent, game = finished_game(player)
    b = app.extensions["tictactoe"]
    b.dynamodb.update_item(
        TableName=b.settings.games_table,
        Key={"GameId": {"S": game["id"]}},
        UpdateExpression="SET Rematch = :id",
        ExpressionAttributeValues={":id": {"S": "orphanedrematch1"}},
    )
    response = rematch(opponent, game)
    assert response.status_code == 201
    assert (response.get_json()["id"], response.get_json()["host"]) == (
        "orphanedrematch1",
        opponent.name,
    )


def test_a_rematch_needs_no_free_pair_or_room_under_the_cap(app: Any, player: Any) -> None:
    """Rematches take no pair lock and the cap does not refuse them (see rematches.py)."""
    host, opponent, game = finished_game(player)
    open_invitation = opponent.invite(host)
    games = app.extensions["tictactoe"].games
    for i in range(MAX_SENT):
        games.create(host.name, f"ghost{i}")
    response = rematch(host, game)
    assert response.status_code == 201
    assert response.get_json()["id"] != open_invitation["id"]
