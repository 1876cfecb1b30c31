"""Playing the computer over the JSON API: every row of the contract, its failures included;
responses checked against the OpenAPI document by the test client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from random import Random
from typing import Any

import boto3
import pytest

from tests.support.players import PASSWORD, ApiPlayer
from tictactoe.rules.board import COMPUTER
from tictactoe.services import computer
from tictactoe.store import MAX_SENT

EMPTY_BOARD = [""] * 9


@pytest.fixture(autouse=True)
def _seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The computer's random choices are the same every run."""
    monkeypatch.setattr(computer, "_RANDOM", Random(20))


def start(who: ApiPlayer, body: Any, status: int = 201) -> Any:
    response = who.call("POST", "/api/computer-games", body)
    assert response.status_code == status, response.get_json()
    return response


def games_stored(app: Any) -> list[dict[str, Any]]:
    table = app.extensions["tictactoe"].settings.games_table
    dynamodb = boto3.client("dynamodb", region_name="us-west-2")
    return dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]  # type: ignore[no-any-return]


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    """Yield the DynamoDB operations the app calls meanwhile."""
    calls: list[str] = []
    events = app.extensions["tictactoe"].dynamodb.meta.events

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events.register("before-call.dynamodb", note)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", note)


def move(who: ApiPlayer, game_id: str, cell: int, state: str | None = None) -> Any:
    headers = {"X-Game-State": state} if state else {}
    return who.call("POST", f"/api/games/{game_id}/moves", {"cell": cell}, headers=headers)


def test_a_game_where_i_play_first_starts_in_progress_and_is_listed(player: Any) -> None:
    me = player()
    response = start(me, {"level": "medium"})
    game = response.get_json()
    assert {
        k: game[k]
        for k in (
            "status",
            "host",
            "opponent",
            "x_player",
            "o_player",
            "turn",
            "winner",
            "board",
            "moves",
            "computer",
            "rematch",
        )
    } == {
        "status": "IN_PROGRESS",
        "host": me.name,
        "opponent": COMPUTER,
        "x_player": me.name,
        "o_player": COMPUTER,
        "turn": me.name,
        "winner": None,
        "board": EMPTY_BOARD,
        "moves": [],
        "computer": "medium",
        "rematch": None,
    }
    assert response.headers["ETag"] == f'"1-{"-" * 9}-medium"'  # version, board, level
    lists = me.call("GET", "/api/games").get_json()
    assert [(g["id"], g["computer"]) for g in lists["in_progress"]] == [(game["id"], "medium")]


def test_when_the_computer_plays_first_its_move_is_in_the_answer(player: Any) -> None:
    me = player()
    game = start(me, {"level": "perfect", "first": "computer"}).get_json()
    assert game["board"].count("X") == 1 and game["board"].count("") == 8
    assert game["moves"] == [game["board"].index("X")]
    assert (game["x_player"], game["o_player"], game["turn"]) == (COMPUTER, me.name, me.name)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"level": "hard"}, "level must be"),
        ({}, "level must be"),
        ({"level": 1}, "level must be"),
        ({"level": "easy", "first": "you"}, "first must be"),
        ({"level": "easy", "first": None}, "first must be"),
        (["easy"], "JSON object"),
        ("easy", "JSON object"),
        (None, "JSON object"),
    ],
)
def test_bad_bodies_are_400_and_write_nothing(app: Any, player: Any, body: Any, message: str):  # type: ignore[no-untyped-def]
    me = player()
    before = games_stored(app)
    response = start(me, body, 400)
    assert message in response.get_json()["error"]
    assert games_stored(app) == before


def test_signed_out_is_401(app: Any) -> None:
    stranger = ApiPlayer(app.test_client(), "nobody")
    stranger.refresh_csrf()
    response = start(stranger, {"level": "easy"}, 401)
    assert response.get_json() == {"error": "sign in first"}
    assert games_stored(app) == []


def test_without_the_csrf_token_nothing_is_started(app: Any, player: Any) -> None:
    me = player()
    me.token = "not the token"
    assert start(me, {"level": "easy"}, 400).get_json()["error"].startswith("The CSRF")
    assert games_stored(app) == []


def test_a_move_answers_with_the_reply_in_one_write_and_no_read(app: Any, player: Any) -> None:
    me = player()
    response = start(me, {"level": "easy"})
    game, state = response.get_json(), response.headers["ETag"]
    with counted(app) as calls:
        moved = move(me, game["id"], 4, state)
    assert calls == ["UpdateItem"]
    body = moved.get_json()
    assert moved.status_code == 200 and body["board"][4] == "X" and body["board"].count("O") == 1
    assert body["turn"] == me.name and body["moves"][0] == 4 and len(body["moves"]) == 2
    assert moved.headers["ETag"] == f'"2-{"".join(c or "-" for c in body["board"])}-easy"'
    # The ETag round trip: a poll with it is 304 until the game changes.
    same = me.call(
        "GET", f"/api/games/{game['id']}", headers={"If-None-Match": moved.headers["ETag"]}
    )
    assert same.status_code == 304
    stale = me.call("GET", f"/api/games/{game['id']}", headers={"If-None-Match": state})
    assert stale.status_code == 200 and stale.get_json() == body


def test_a_state_without_the_level_or_with_the_wrong_one_still_moves(player: Any) -> None:
    me = player()
    game = start(me, {"level": "easy"}).get_json()
    moved = move(me, game["id"], 0, '"1---------"')  # as if a game between people
    assert moved.status_code == 200 and moved.get_json()["board"].count("O") == 1
    board = "".join(c or "-" for c in moved.get_json()["board"])
    again = move(me, game["id"], 8 if board[8] == "-" else 6, f'"2-{board}-perfect"')
    assert again.status_code == 200 and again.get_json()["board"].count("O") == 2
    assert again.get_json()["computer"] == "easy"


def test_playing_to_the_end_counts_nothing(player: Any) -> None:
    me = player()
    game = start(me, {"level": "perfect"}).get_json()
    while game["status"] == "IN_PROGRESS":  # the first free cell each time: perfect wins
        game = move(me, game["id"], game["board"].index("")).get_json()
    assert game["winner"] == COMPUTER and game["turn"] is None and game["line"] is not None
    found = me.call("GET", f"/api/players/{me.name}").get_json()
    assert (found["wins"], found["losses"], found["ties"], found["rating"]) == (0, 0, 0, 1200)
    assert me.call("GET", "/api/leaderboard").get_json() == {"players": []}
    finished = me.call("GET", "/api/games").get_json()["finished"]
    assert [(g["id"], g["opponent"], g["winner"]) for g in finished] == [
        (game["id"], COMPUTER, COMPUTER)
    ]
    assert move(me, game["id"], game["board"].index("")).status_code == 409


def test_resign_works_and_claim_is_refused(app: Any, player: Any) -> None:
    me = player()
    game = start(me, {"level": "easy"}).get_json()
    before = games_stored(app)
    claim = me.call("POST", f"/api/games/{game['id']}/claim")
    assert claim.status_code == 403 and "no win to claim" in claim.get_json()["error"]
    assert games_stored(app) == before
    resigned = me.call("POST", f"/api/games/{game['id']}/resign")
    assert resigned.status_code == 200
    assert (resigned.get_json()["status"], resigned.get_json()["winner"]) == ("FINISHED", COMPUTER)


def test_others_may_watch_but_not_play(player: Any) -> None:
    me, other = player(), player()
    game = start(me, {"level": "easy"}).get_json()
    assert other.call("GET", f"/api/games/{game['id']}").status_code == 200
    assert move(other, game["id"], 4).status_code == 403
    assert other.call("POST", f"/api/games/{game['id']}/resign").status_code == 403


def test_a_rematch_keeps_the_level_swaps_the_marks_and_is_asked_once(player: Any) -> None:
    me = player()
    game = start(me, {"level": "medium"}).get_json()
    me.call("POST", f"/api/games/{game['id']}/resign")
    asked = me.call("POST", f"/api/games/{game['id']}/rematch")
    assert asked.status_code == 201
    rematch = asked.get_json()
    assert (rematch["computer"], rematch["status"], rematch["turn"]) == (
        "medium",
        "IN_PROGRESS",
        me.name,
    )
    assert (rematch["x_player"], rematch["o_player"]) == (COMPUTER, me.name)
    assert rematch["board"].count("X") == 1  # the computer plays X now: its move is there
    again = me.call("POST", f"/api/games/{game['id']}/rematch")
    assert again.status_code == 200 and again.get_json() == rematch
    assert me.call("GET", f"/api/games/{game['id']}").get_json()["rematch"] == rematch["id"]


def test_the_twenty_first_open_game_is_429_and_writes_nothing(app: Any, player: Any) -> None:
    me = player()
    for _ in range(MAX_SENT):
        start(me, {"level": "easy"})
    before = games_stored(app)
    refused = start(me, {"level": "easy"}, 429)
    assert "20 games in progress against the computer" in refused.get_json()["error"]
    assert games_stored(app) == before


@pytest.mark.parametrize("name", ["computer", "Computer", "C0mputer", "c0MPUTER"])
def test_the_computers_name_cannot_be_signed_up(app: Any, name: str) -> None:
    client = ApiPlayer(app.test_client(), name)
    client.refresh_csrf()
    response = client.call("POST", "/api/register", {"username": name, "password": PASSWORD})
    assert response.status_code == 409
    assert "computer opponent" in response.get_json()["error"]
    users = app.extensions["tictactoe"].users
    assert users.get(name) is None


def test_games_between_people_have_computer_null(player: Any) -> None:
    host, guest = player(), player()
    invited = host.invite(guest)
    assert invited["computer"] is None
    started = guest.accept(invited)
    assert started["computer"] is None
    response = guest.call("GET", f"/api/games/{started['id']}")
    assert response.get_json()["computer"] is None
    assert response.headers["ETag"] == f'"2-{"-" * 9}"'  # version and board only, as before
