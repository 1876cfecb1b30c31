"""How a game is stored: the Games table's item attributes, to and from a Game."""

from __future__ import annotations

from typing import Any

from ..game import EMPTY, Game, Status
from .schema import TTL_ATTRIBUTE


def s(value: str) -> dict[str, str]:
    """Return `value` as a DynamoDB string."""
    return {"S": str(value)}


def text(item: dict[str, Any], name: str) -> str | None:
    """Return the string attribute `name` of `item`, or None when it is absent."""
    value = item.get(name)
    return value["S"] if value else None


def game_from_item(item: dict[str, Any]) -> Game:
    """Return the Game a whole table item describes."""
    return Game(
        id=item["GameId"]["S"],
        host=item["HostId"]["S"],
        opponent=text(item, "OpponentId"),
        status=Status(item["Status"]["S"]),
        board=item["Board"]["S"],
        turn=text(item, "Turn"),
        winner=text(item, "Winner"),
        created_at=item["CreatedAt"]["S"],
        updated_at=item["UpdatedAt"]["S"],
        version=int(item["Version"]["N"]),
        host_picture=text(item, "HostPicture"),
        opponent_picture=text(item, "OpponentPicture"),
        expires_at=int(item[TTL_ATTRIBUTE]["N"]) if TTL_ATTRIBUTE in item else None,
        x_is_host=item.get("XIsHost", {}).get("BOOL", False),
        moves=moves_of(item),
        rematch=text(item, "Rematch"),
    )


def moves_of(item: dict[str, Any]) -> tuple[int, ...]:
    """Return the cells played in order; () for a game from before moves were recorded."""
    moves = tuple(int(m["N"]) for m in item.get("Moves", {}).get("L", []))
    marks = sum(c != EMPTY for c in item["Board"]["S"])
    return moves if len(moves) == marks else ()
