"""How a game is stored: the Games table's item attributes, to and from a Game.

Item layout (one item per game):
  GameId, HostId, OpponentId, CreatedAt     never change
  HostPicture, OpponentPicture              the players' picture hashes at creation, if any
  Status, Board, Turn, Version, UpdatedAt   change with every accept / move (not indexed)
  StatusDate   "INVITED_<CreatedAt>" while an invitation, "OPEN_<accepted>" while played,
               "FINISHED_<time>" once over
  ExpiresAt    epoch seconds when an unanswered invitation lapses (TTL deletes it later);
               removed by the accept
  Live, LiveSince  "live" and when it started, while a game between people is in progress:
               its entry in the live index (live.py); removed by the write that finishes it
  Winner, FinalBoard                         written once, by the move that ends the game
  Rated        written with them: true when the finish moved the players' ratings, false for
               an unrated one (a pair's fourth game in a day, the computer, a deleted player);
               a finished game between people from before it was written read as rated
               (every such finish was counted, but those ended by an account's deletion)

A game against the computer (store/computer.py) is one item of the same table: HostId is the
player, there is no OpponentId (so the opponent index holds no entry of it, and no
"computer" partition gets hot), and Computer holds its level. It is IN_PROGRESS from the
start (StatusDate OPEN_<created>, no invitation), XIsHost when the player plays X, and Turn
is always the player's between requests: the computer's reply is written with their move.
An index entry with no OpponentId under OPEN_ or FINISHED_ is such a game (an open challenge
has none either, but is always INVITED_).

The two indexes are keyed on (player, StatusDate) and project only attributes that never
change during play, so a move writes the table alone. An index entry is written when the
game is created and rewritten when it is accepted and when it finishes. Because 'F' < 'I' <
'O', a player's entries read newest first give the games in progress, then the
invitations, then the finished games: no number of invitations can push a game in progress
out of a list, and an invitation's entry holds all a list shows of it.
"""

from __future__ import annotations

from typing import Any

from tictactoe.rules.board import COMPUTER, EMPTY, Game, Status
from tictactoe.store.schema import TTL_ATTRIBUTE

# StatusDate's prefixes: an invitation (invitations.py), a game being played, a game over.
INVITED, OPEN, FINISHED = "INVITED_", "OPEN_", "FINISHED_"
# Stands in for a deleted player in the games they leave behind. Not a valid name (it has a
# space), so no one can sign up as it, invite it or be mistaken for it.
DELETED_PLAYER = "deleted player"


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
        opponent=text(item, "OpponentId") or (COMPUTER if "Computer" in item else None),
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
        level=text(item, "Computer"),
        rated=rated_of(item),
    )


def rated_of(item: dict[str, Any]) -> bool | None:
    """Return whether the game's finish moved ratings; None while it is not finished."""
    if "Rated" in item:
        return bool(item["Rated"]["BOOL"])
    over = item["Status"]["S"] == Status.FINISHED
    if not over:
        return None
    return "Computer" not in item  # the computer's never are (the JSON says so from the start)


def moves_of(item: dict[str, Any]) -> tuple[int, ...]:
    """Return the cells played in order; () for a game from before moves were recorded."""
    moves = tuple(int(m["N"]) for m in item.get("Moves", {}).get("L", []))
    marks = sum(c != EMPTY for c in item["Board"]["S"])
    return moves if len(moves) == marks else ()


def invitation_item(game: Game) -> dict[str, Any]:
    """Return the table item of a new invitation, or of an open challenge (no OpponentId)."""
    item: dict[str, Any] = {
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
    if game.x_is_host:  # the accept starts the host's turn (see Answers.accept)
        item |= {"XIsHost": {"BOOL": True}, "FirstTurn": s(game.host)}
        if game.opponent is not None:
            item["FirstWait"] = s(game.opponent)
    for name, digest in (
        ("HostPicture", game.host_picture),
        ("OpponentPicture", game.opponent_picture),
    ):
        if digest:
            item[name] = s(digest)
    return item


def computer_item(game: Game) -> dict[str, Any]:
    """Return the table item of a new game against the computer (no OpponentId, see above)."""
    item = {
        "GameId": s(game.id),
        "HostId": s(game.host),
        "Computer": s(game.level or ""),
        "StatusDate": s(OPEN + game.created_at),
        "Status": s(game.status),
        "Board": s(game.board),
        "Turn": s(game.host),
        "Moves": {"L": [{"N": str(cell)} for cell in game.moves]},
        "CreatedAt": s(game.created_at),
        "UpdatedAt": s(game.updated_at),
        "Version": {"N": str(game.version)},
    }
    if game.x_is_host:
        item["XIsHost"] = {"BOOL": True}
    if game.host_picture:
        item["HostPicture"] = s(game.host_picture)
    return item


def forgetting(game: Game, player: str, stamp: str) -> tuple[str, dict[str, Any]]:
    """Return the update (and its values) that takes deleted `player` out of a started game.

    DELETED_PLAYER takes their place (and their win), their picture goes, and a game in
    progress ends as their resignation: the other player wins.
    """
    sets, removes = ["Version = Version + :one", "UpdatedAt = :now"], []
    values: dict[str, Any] = {":gone": s(DELETED_PLAYER), ":was": s(game.status)}
    for role, picture, name in (
        ("HostId", "HostPicture", game.host),
        ("OpponentId", "OpponentPicture", game.opponent),
    ):
        if name == player:
            sets.append(f"{role} = :gone")
            removes.append(picture)
    other = game.opponent if game.host == player else game.host
    if game.status is Status.IN_PROGRESS:
        assert other is not None  # a game in progress has both players
        values |= {":over": s(Status.FINISHED), ":sd": s(FINISHED + stamp), ":other": s(other)}
        values[":unrated"] = {"BOOL": False}  # a deletion counts for no one
        sets += ["#st = :over", "StatusDate = :sd", "FinalBoard = Board", "Winner = :other"]
        sets.append("Rated = :unrated")
        removes += ["Turn", "Waiting", "Live", "LiveSince"]  # out of the live list too
    elif game.winner == player:
        sets.append("Winner = :gone")
    return "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes), values
