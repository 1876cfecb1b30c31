"""Play now over the API: POST, GET and DELETE /api/quick-play, on moto.

Every answer is checked against the OpenAPI document (CheckedClient). The push test runs a
redis-server of this module's own and reads the waiting player's stream as it comes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.support.players import PASSWORD, ApiPlayer, signed_in
from tests.support.streams import push_app, started, watch
from tictactoe.rules.clock import now
from tictactoe.store import MAX_SENT
from tictactoe.store.pairing import POINTER, SLOT
from tictactoe.web import streams

PAIRING_URL = "/api/quick-play"
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def press(who: ApiPlayer, expect: int) -> dict[str, Any]:
    response = who.call("POST", PAIRING_URL)
    assert response.status_code == expect, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def look(who: ApiPlayer) -> dict[str, Any]:
    response = who.call("GET", PAIRING_URL)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def pairing_items(app: Any, *names: str) -> list[Any]:
    """The slot and the named players' pointers, as stored (None where absent)."""
    backend = app.extensions["tictactoe"]
    keys = [SLOT, *(POINTER + n.lower() for n in names)]
    return [
        backend.dynamodb.get_item(
            TableName=backend.settings.games_table, Key={"GameId": {"S": k}}, ConsistentRead=True
        ).get("Item")
        for k in keys
    ]


def test_a_press_waits_until_another_pairs_with_it(app: Any, player: Any) -> None:
    walt, pete = player(), player()
    assert look(walt) == {"status": "idle"}
    app.extensions["tictactoe"].pairing.clock = lambda: 1_000_000.0
    waiting = press(walt, 202)
    assert waiting == {"status": "waiting", "expires_at": now(1_000_060)}
    assert ISO_UTC.fullmatch(waiting["expires_at"])
    assert press(signed_in(app, walt.name), 202) == waiting  # another tab: the same wait
    assert look(walt) == waiting
    game = pete.call("POST", PAIRING_URL)
    assert game.status_code == 201 and game.headers["ETag"]
    body = game.get_json()
    assert (body["status"], body["host"], body["opponent"]) == ("IN_PROGRESS", walt.name, pete.name)
    assert (body["x_player"], body["turn"], body["board"]) == (walt.name, walt.name, [""] * 9)
    assert look(walt) == {"status": "paired", "game": body}
    assert walt.call("GET", f"/api/games/{body['id']}").get_json() == body
    for who in (walt, pete):
        lists = who.call("GET", "/api/games").get_json()
        assert [g["id"] for g in lists["in_progress"]] == [body["id"]]
    assert pete.move(body, 4).status_code == 409  # not pete's turn: the waiter moves first
    assert walt.move(body, 4).status_code == 200


def test_stop_is_idempotent_and_a_paired_player_keeps_the_game(app: Any, player: Any) -> None:
    walt, pete, ann = player(), player(), player()
    for _ in range(2):
        assert walt.call("DELETE", PAIRING_URL).status_code == 204  # idle: nothing to stop
    press(walt, 202)
    assert walt.call("DELETE", PAIRING_URL).status_code == 204
    assert look(walt) == {"status": "idle"}
    assert pairing_items(app, walt.name) == [None, None]
    assert press(pete, 202)["status"] == "waiting"  # not paired with the cancelled wait
    game = press(ann, 201)
    assert (game["host"], game["opponent"]) == (pete.name, ann.name)
    assert pete.call("DELETE", PAIRING_URL).status_code == 204  # too late: the game stays
    assert look(pete) == {"status": "paired", "game": game}


def test_a_cancelled_waits_id_is_no_game(app: Any, player: Any) -> None:
    walt = player()
    press(walt, 202)
    _, pointer = pairing_items(app, walt.name)
    ticket = pointer["Ticket"]["S"]
    walt.call("DELETE", PAIRING_URL)
    assert walt.call("GET", f"/api/games/{ticket}").status_code == 404
    for action in ("accept", "reject", "cancel", "resign", "claim", "rematch"):
        assert walt.call("POST", f"/api/games/{ticket}/{action}").status_code == 404, action
    moved = walt.call(
        "POST", f"/api/games/{ticket}/moves", {"cell": 4}, headers={"X-Game-State": '"1---------"'}
    )
    assert moved.status_code == 404
    assert walt.client.get(f"/games/{ticket}").status_code == 404  # the page too


def test_a_player_with_20_open_invitations_may_not_press(app: Any, player: Any) -> None:
    walt, pete = player(), player()
    games = app.extensions["tictactoe"].games
    for n in range(MAX_SENT):
        games.create(pete.name, f"someone{n}")
    refused = pete.call("POST", PAIRING_URL)
    assert refused.status_code == 429 and "20 open invitations" in refused.get_json()["error"]
    assert pairing_items(app, pete.name) == [None, None]
    press(walt, 202)
    assert pete.call("POST", PAIRING_URL).status_code == 429  # nor take a waiting player's game
    assert look(walt)["status"] == "waiting"


def test_signed_out_is_401_and_a_missing_csrf_token_is_400(app: Any, player: Any) -> None:
    stranger = app.test_client()
    # A change without a token is refused by the CSRF check first (400), signed in or not.
    statuses = [stranger.open(PAIRING_URL, method=m).status_code for m in ("POST", "GET", "DELETE")]
    assert statuses == [400, 401, 400]
    walt = player()
    for method in ("POST", "DELETE"):
        refused = walt.client.open(PAIRING_URL, method=method)  # no X-CSRFToken
        assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    assert pairing_items(app, walt.name) == [None, None]
    press(walt, 202)
    assert walt.client.delete(PAIRING_URL).status_code == 400
    assert look(walt)["status"] == "waiting"  # the refused DELETE changed nothing


def test_signed_out_with_a_token_is_401(app: Any) -> None:
    stranger = ApiPlayer(app.test_client(), "nobody")
    stranger.refresh_csrf()
    for method in ("POST", "DELETE"):
        assert stranger.call(method, PAIRING_URL).status_code == 401


def test_the_wait_lasts_the_configured_seconds(app: Any, player: Any) -> None:
    pairing = app.extensions["tictactoe"].pairing
    pairing.wait_seconds, pairing.clock = 5, lambda: 2_000_000.0
    walt, pete = player(), player()
    assert press(walt, 202)["expires_at"] == now(2_000_005)
    pairing.clock = lambda: 2_000_005.0
    assert look(walt) == {"status": "idle"}  # expired
    assert press(pete, 202)["expires_at"] == now(2_000_010)  # and never paired


@pytest.fixture
def push(bus_url: str, moto: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)
    yield push_app(make_settings(), bus_url)


def test_the_waiting_player_learns_of_the_pairing_from_their_stream(push: Any) -> None:
    walt = ApiPlayer(push.test_client(), "walt").register()
    pete = ApiPlayer(push.test_client(), "pete").register()
    press(walt, 202)
    with watch(push, walt, "/api/me/events") as mine:
        assert started(mine).comments == ("connected",)  # no game yet
        game = press(pete, 201)
        event = mine.next_event()
        assert (event.event, event.json()) == ("game", game)
        assert event.id == walt.call("GET", f"/api/games/{game['id']}").headers["ETag"].strip('"')


def test_deleting_the_account_of_a_waiting_player_stops_the_wait(app: Any, player: Any) -> None:
    walt, pete = player(), player()
    press(walt, 202)
    assert walt.call("DELETE", "/api/me", {"password": PASSWORD}).status_code == 204
    assert pairing_items(app, walt.name) == [None, None]
    assert press(pete, 202)["status"] == "waiting"  # nobody is paired with a deleted account
