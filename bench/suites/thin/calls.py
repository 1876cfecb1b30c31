"""The two hottest calls, shaped as the stores make them, and each client's way to send them.

The move: the conditional UpdateItem of Games.move through GameTable.update (tictactoe/store/
games.py, gametable.py): the same condition, update, names and values, ReturnValues=ALL_NEW
and ReturnValuesOnConditionCheckFailure=ALL_OLD. The poll: GameTable.read's eventually
consistent GetItem of one game. Every call asks ReturnConsumedCapacity=INDEXES, as the app's
capacity hook makes every call ask (tictactoe/adapters/capacity.py), so every client gets
the same answer to read. The parameters are built before the clock starts: the stores build
them alike whichever client sends them; what is timed is the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from bench.flows import WIN_IN_7
from bench.suites.thin.client import Refused
from tictactoe.adapters.errors import error_code, refused_item

Send = Callable[[str, dict[str, Any]], dict[str, Any]]
HOST, OPPONENT = "hbenchthin", "obenchthin"  # the opponent is X and moves first
STAMP = "2026-12-08T00:00:00.000000Z"
MOVES = WIN_IN_7[:6]  # a 7-move win's moves that are one UpdateItem (the 7th is a transaction)
CONDITION = (
    "attribute_exists(GameId) AND #st = :playing AND Turn = :me AND Board = :seen"
    " AND attribute_not_exists(Computer)"
)
UPDATE = (
    "SET Board = :board, Version = Version + :one, UpdatedAt = :now,"
    " Moves = list_append(if_not_exists(Moves, :none), :cell),"
    " Turn = if_not_exists(Waiting, OpponentId), Waiting = :me"
)


class Mismatch(AssertionError):
    """Two clients answered the same call differently."""


def botocore_send(client: Any) -> Send:
    """Send through a botocore client; a refused condition raises Refused, as the thin one."""
    methods = {"GetItem": client.get_item, "UpdateItem": client.update_item}

    def send(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = methods[operation](**params)
        except ClientError as err:  # as GameTable.update turns it into Rejected
            if error_code(err) == "ConditionalCheckFailedException":
                raise Refused(refused_item(err)) from err
            raise
        return answer

    return send


def game_item(game_id: str) -> dict[str, Any]:
    """A game just accepted, as the Games table holds it: X (the opponent) to move."""
    return {
        "GameId": {"S": game_id},
        "HostId": {"S": HOST},
        "OpponentId": {"S": OPPONENT},
        "StatusDate": {"S": f"IN_PROGRESS_{STAMP}"},
        "Status": {"S": "IN_PROGRESS"},
        "Board": {"S": "-" * 9},
        "CreatedAt": {"S": STAMP},
        "UpdatedAt": {"S": STAMP},
        "Version": {"N": "1"},
        "Turn": {"S": OPPONENT},
        "Waiting": {"S": HOST},
        "Moves": {"L": []},
    }


def moves(table: str, game_id: str) -> list[dict[str, Any]]:
    """The parameters of the game's six moves, in order, each on the board the last left."""
    board, out = "-" * 9, []
    for turn, cell in enumerate(MOVES):
        mark, me = ("X", OPPONENT) if turn % 2 == 0 else ("O", HOST)
        placed = board[:cell] + mark + board[cell + 1 :]
        values = {
            ":playing": {"S": "IN_PROGRESS"},
            ":me": {"S": me},
            ":seen": {"S": board},
            ":board": {"S": placed},
            ":cell": {"L": [{"N": str(cell)}]},
            ":none": {"L": []},
            ":one": {"N": "1"},
            ":now": {"S": STAMP},
        }
        out.append(
            {
                "TableName": table,
                "Key": {"GameId": {"S": game_id}},
                "ConditionExpression": CONDITION,
                "UpdateExpression": UPDATE,
                "ExpressionAttributeNames": {"#st": "Status"},
                "ExpressionAttributeValues": values,
                "ReturnValues": "ALL_NEW",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                "ReturnConsumedCapacity": "INDEXES",
            }
        )
        board = placed
    return out


def poll(table: str, game_id: str) -> dict[str, Any]:
    """The parameters of the poll's read of the game."""
    return {
        "TableName": table,
        "Key": {"GameId": {"S": game_id}},
        "ConsistentRead": False,
        "ReturnConsumedCapacity": "INDEXES",
    }


def same_answers(sends: dict[str, Send], reset: Callable[[str], None], table: str) -> None:
    """Play one game's moves, a refused move and a poll with each client, on the same game;
    raise Mismatch unless every client got what the first got."""
    game_id = "thin-check"
    seen: dict[str, list[Any]] = {}
    for name, send in sends.items():
        reset(game_id)
        answers: list[Any] = [_plain(send("UpdateItem", p)) for p in moves(table, game_id)]
        try:
            send("UpdateItem", moves(table, game_id)[0])  # played already: the board moved on
            answers.append("not refused")
        except Refused as refused:
            answers.append(refused.item)
        answers.append(_plain(send("GetItem", poll(table, game_id))))
        seen[name] = answers
    first, *others = seen
    for name in others:
        if seen[name] != seen[first]:
            raise Mismatch(f"{name} and {first} differ: {seen[name]} != {seen[first]}")
    if not isinstance(seen[first][len(MOVES)], dict):
        raise Mismatch(f"a stale move was not refused with the game: {seen[first][len(MOVES)]}")


def _plain(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without botocore's own addition (the HTTP metadata)."""
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}
