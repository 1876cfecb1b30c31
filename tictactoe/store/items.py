"""How a game is stored: the Games table's item attributes, to and from a Game."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tictactoe.rules.board import EMPTY, Game, Status
from tictactoe.store.invitations import INVITED
from tictactoe.store.schema import TTL_ATTRIBUTE


def now(epoch: float | None = None) -> str:
    """Return the current UTC time (or `epoch`) in ISO 8601, sortable as text."""
    moment = datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


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
        challenge=item.get("Challenge", {}).get("BOOL", False),
    )


def moves_of(item: dict[str, Any]) -> tuple[int, ...]:
    """Return the cells played in order; () for a game from before moves were recorded."""
    moves = tuple(int(m["N"]) for m in item.get("Moves", {}).get("L", []))
    marks = sum(c != EMPTY for c in item["Board"]["S"])
    return moves if len(moves) == marks else ()


def invitation_item(game: Game) -> dict[str, Any]:
    """Return the table item of a new invitation, or of an open challenge (no OpponentId)."""
    item = {
        "GameId": s(game.id),
        "HostId": s(game.host),
        "StatusDate": s(INVITED + game.created_at),
        TTL_ATTRIBUTE: {"N": str(game.expires_at)},
        "Status": s(game.status),
        "Board": s(game.board),
        "CreatedAt": s(game.created_at),
        "UpdatedAt": s(game.updated_at),
        "Version": {"N": str(game.version)},
    }
    if game.opponent is not None:
        item["OpponentId"] = s(game.opponent)
    if game.challenge:  # lets a late taker be told it was taken (409), not "not invited"
        item["Challenge"] = {"BOOL": True}
    if game.x_is_host:  # the accept starts the host's turn (see Games.accept)
        item |= {"XIsHost": {"BOOL": True}, "FirstTurn": s(game.host)}
        if game.opponent is not None:
            item["FirstWait"] = s(game.opponent)
    for name, digest in (("HostPicture", game.host_picture),
                         ("OpponentPicture", game.opponent_picture)):  # fmt: skip
        if digest:
            item[name] = s(digest)
    return item
