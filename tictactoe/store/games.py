"""The Games table: every read and write of a game, with the rules that must hold under races.

Item layout (one item per game):
  GameId, HostId, OpponentId, CreatedAt     never change
  HostPicture, OpponentPicture              the players' picture hashes at creation, if any
  Status, Board, Turn, Version, UpdatedAt   change with every accept / move (not indexed)
  StatusDate   "OPEN_<CreatedAt>" while pending or playing, "FINISHED_<time>" once over
  Winner, FinalBoard                         written once, by the move that ends the game

The two indexes are keyed on (player, StatusDate) and project only attributes that never
change during play, so a move writes the table alone; an index is rewritten twice per game:
when the game is created and when it finishes.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..game import NEW_BOARD, Game, O, Placed, Status
from .errors import NotFound, Unavailable, error_code, translated
from .schema import HOST_INDEX, OPPONENT_INDEX

OPEN, FINISHED = "OPEN_", "FINISHED_"
# Stands in for a deleted player in the games they leave behind. Not a valid name (it has a
# space), so no one can sign up as it, invite it or be mistaken for it.
DELETED_PLAYER = "deleted player"
LIST_LENGTH = 10
_PAGE = 40  # index entries read per query; small entries, so one page is one read unit


def now() -> str:
    """Return the current UTC time in ISO 8601, sortable as text."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Rejected(Exception):
    """A conditional write failed; `current` is the game as it is now (None: it is gone)."""

    def __init__(self, current: Game | None) -> None:
        super().__init__("the game changed or does not allow this")
        self.current = current


@dataclass(frozen=True)
class Lists:
    """A player's home page: invitations received and sent, games playing, games over."""

    invites: list[Game]
    sent: list[Game]
    in_progress: list[Game]
    finished: list[Game]


class Games:
    """Reads and conditional writes of the Games table."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def create(
        self, host: str, opponent: str, pictures: tuple[str | None, str | None] = (None, None)
    ) -> Game:
        """Store a new invitation from `host` to `opponent` (with their pictures' hashes)."""
        stamp = now()
        game = Game(
            id=secrets.token_urlsafe(12),
            host=host,
            opponent=opponent,
            status=Status.PENDING,
            board=NEW_BOARD,
            turn=None,
            winner=None,
            created_at=stamp,
            updated_at=stamp,
            version=1,
            host_picture=pictures[0],
            opponent_picture=pictures[1],
        )
        item = {
            "GameId": _s(game.id),
            "HostId": _s(host),
            "OpponentId": _s(opponent),
            "StatusDate": _s(OPEN + stamp),
            "Status": _s(game.status),
            "Board": _s(game.board),
            "CreatedAt": _s(stamp),
            "UpdatedAt": _s(stamp),
            "Version": {"N": "1"},
        }
        for name, digest in zip(("HostPicture", "OpponentPicture"), pictures, strict=True):
            if digest:
                item[name] = _s(digest)
        with translated("creating a game"):
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(GameId)",
            )
        return game

    def get(self, game_id: str, at_least: int = 0) -> Game:
        """Return the game, reading strongly only when the cheap read looks stale."""
        game = self._read(game_id, consistent=False)
        if game is None or game.version < at_least:
            game = self._read(game_id, consistent=True)
        if game is None:
            raise NotFound("no such game")
        return game

    def accept(self, game_id: str, player: str) -> Game:
        """Start the game if `player` is its invited opponent and it is still pending."""
        return self._update(
            game_id,
            condition="#st = :pending AND OpponentId = :me",
            update="SET #st = :playing, Turn = :me, Version = Version + :one, UpdatedAt = :now",
            values={":pending": _s(Status.PENDING), ":playing": _s(Status.IN_PROGRESS),
                    ":me": _s(player)},
        )  # fmt: skip

    def reject(self, game_id: str, player: str) -> None:
        """Delete the invitation if `player` is its invited opponent and it is still pending."""
        with translated("rejecting a game"):
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key={"GameId": _s(game_id)},
                    ConditionExpression="#st = :pending AND OpponentId = :me",
                    ExpressionAttributeNames={"#st": "Status"},
                    ExpressionAttributeValues={":pending": _s(Status.PENDING), ":me": _s(player)},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise self._rejected(err) from err

    def move(self, game_id: str, player: str, seen: str, placed: Placed) -> Game:
        """Write one move in one conditional update, result included.

        The condition says: the game is in progress, it is `player`'s turn, `player` plays
        the mark placed, and the board is still `seen`. So two racing moves can never both
        land, and a game that a move ended is always marked finished by that same write.
        """
        # X is the invited opponent, O the host; the next turn is the other one's.
        mover, other = ("HostId", "OpponentId") if placed.mark == O else ("OpponentId", "HostId")
        values = {":playing": _s(Status.IN_PROGRESS), ":me": _s(player), ":seen": _s(seen),
                  ":board": _s(placed.board)}  # fmt: skip
        sets = ["Board = :board", "Version = Version + :one", "UpdatedAt = :now"]
        removes: list[str] = []
        stamp = now()
        if placed.over:
            values |= {":over": _s(Status.FINISHED), ":sd": _s(FINISHED + stamp)}
            sets += ["#st = :over", "StatusDate = :sd", "FinalBoard = :board"]
            removes.append("Turn")
            if placed.won:
                sets.append("Winner = :me")
        else:
            sets.append(f"Turn = {other}")
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return self._update(
            game_id,
            condition=f"#st = :playing AND Turn = :me AND {mover} = :me AND Board = :seen",
            update=update,
            values=values,
            stamp=stamp,
        )

    def lists(self, player: str) -> Lists:
        """Return `player`'s home lists, each the LIST_LENGTH newest first."""
        entries = self._entries(HOST_INDEX, "HostId", player)
        entries += self._entries(OPPONENT_INDEX, "OpponentId", player)
        open_ids = sorted(
            (e for e in entries if e["StatusDate"]["S"].startswith(OPEN)),
            key=lambda e: e["StatusDate"]["S"],
            reverse=True,
        )[: 3 * LIST_LENGTH]
        open_games = sorted(
            self._batch_get([e["GameId"]["S"] for e in open_ids]),
            key=lambda g: g.created_at,
            reverse=True,
        )
        finished = sorted(
            (_finished_from_index(e) for e in entries if e["StatusDate"]["S"].startswith(FINISHED)),
            key=lambda g: g.updated_at,
            reverse=True,
        )

        def pick(keep: Any) -> list[Game]:
            return [g for g in open_games if keep(g)][:LIST_LENGTH]

        return Lists(
            invites=pick(lambda g: g.status is Status.PENDING and g.opponent == player),
            sent=pick(lambda g: g.status is Status.PENDING and g.host == player),
            in_progress=pick(lambda g: g.status is Status.IN_PROGRESS),
            finished=finished[:LIST_LENGTH],
        )

    # -- internals -------------------------------------------------------------------------

    def _read(self, game_id: str, consistent: bool) -> Game | None:
        with translated("reading a game"):
            found = self._client.get_item(
                TableName=self._table, Key={"GameId": _s(game_id)}, ConsistentRead=consistent
            )
        item = found.get("Item")
        return _game(item) if item else None

    def _update(
        self, game_id: str, condition: str, update: str, values: dict[str, Any], stamp: str = ""
    ) -> Game:
        values = values | {":one": {"N": "1"}, ":now": _s(stamp or now())}
        with translated("updating a game"):
            try:
                done = self._client.update_item(
                    TableName=self._table,
                    Key={"GameId": _s(game_id)},
                    ConditionExpression=f"attribute_exists(GameId) AND {condition}",
                    UpdateExpression=update,
                    ExpressionAttributeNames={"#st": "Status"},
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise self._rejected(err) from err
        return _game(done["Attributes"])

    @staticmethod
    def _rejected(err: ClientError) -> Exception:
        if error_code(err) != "ConditionalCheckFailedException":
            return err
        item = err.response.get("Item")
        return Rejected(_game(item) if item else None)

    def _entries(self, index: str, key: str, player: str) -> list[dict[str, Any]]:
        """Read a player's index entries: open games first, then finished, newest first."""
        query = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{key} = :p",
            "ExpressionAttributeValues": {":p": _s(player)},
            "ScanIndexForward": False,  # "OPEN_" sorts after "FINISHED_"
            "Limit": _PAGE,
        }
        with translated("listing games"):
            page = self._client.query(**query)
            entries = page["Items"]
            finished = sum(e["StatusDate"]["S"].startswith(FINISHED) for e in entries)
            if "LastEvaluatedKey" in page and finished < LIST_LENGTH:
                # Many open games filled the page: fetch the newest finished ones directly.
                query["KeyConditionExpression"] += " AND begins_with(StatusDate, :f)"
                query["ExpressionAttributeValues"][":f"] = _s(FINISHED)
                query["Limit"] = LIST_LENGTH
                entries += self._client.query(**query)["Items"]
        return entries

    def _batch_get(self, game_ids: list[str]) -> list[Game]:
        games: list[Game] = []
        keys = [{"GameId": _s(i)} for i in dict.fromkeys(game_ids)]
        for attempt in range(5):
            if not keys:
                break
            with translated("reading games"):
                found = self._client.batch_get_item(
                    RequestItems={self._table: {"Keys": keys[:100]}}
                )
            games += [_game(item) for item in found["Responses"].get(self._table, [])]
            unprocessed = found.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
            keys = unprocessed + keys[100:]
            if unprocessed:
                _backoff(attempt)
        return games

    # -- taking a deleted player out of their games (see accounts.delete_account) ----------

    def games_of(self, player: str) -> list[str]:
        """Return the id of every game `player` hosts or was invited to, all pages of both."""
        ids: list[str] = []
        for index, key in ((HOST_INDEX, "HostId"), (OPPONENT_INDEX, "OpponentId")):
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": index,
                "KeyConditionExpression": f"{key} = :p",
                "ExpressionAttributeValues": {":p": _s(player)},
                "ProjectionExpression": "GameId",
            }
            while True:
                with translated("listing a player's games"):
                    page = self._client.query(**query)
                ids += [e["GameId"]["S"] for e in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return list(dict.fromkeys(ids))

    def forget_player(self, game_id: str, player: str) -> None:
        """Take `player` out of one game, for good.

        An invitation is deleted. A game in progress ends as `player`'s resignation: the other
        player wins. A finished game keeps its board and result, with DELETED_PLAYER in
        `player`'s place (and as the winner, if they won), and without their picture: the
        name may be taken again, and the new owner must not appear to have played it. Each
        write is conditional on the version read, so a move landing meanwhile is not lost.
        """
        for _ in range(3):
            game = self._read(game_id, consistent=True)
            if game is None or player not in (game.host, game.opponent):
                return
            try:
                self._forget(game, player)
                return
            except Rejected:
                continue  # the game moved meanwhile: read it again
        raise Unavailable("the game is changing too fast; try again")

    def _forget(self, game: Game, player: str) -> None:
        version = {":v": {"N": str(game.version)}}
        if game.status is Status.PENDING:
            with translated("deleting an invitation"):
                try:
                    self._client.delete_item(
                        TableName=self._table,
                        Key={"GameId": _s(game.id)},
                        ConditionExpression="Version = :v",
                        ExpressionAttributeValues=version,
                    )
                except ClientError as err:
                    raise self._rejected(err) from err
            return
        sets, removes = ["Version = Version + :one", "UpdatedAt = :now"], []
        values: dict[str, Any] = {":gone": _s(DELETED_PLAYER), ":was": _s(game.status), **version}
        for role, picture, name in (("HostId", "HostPicture", game.host),
                                    ("OpponentId", "OpponentPicture", game.opponent)):  # fmt: skip
            if name == player:
                sets.append(f"{role} = :gone")
                removes.append(picture)
        other = game.opponent if game.host == player else game.host
        if game.status is Status.IN_PROGRESS:
            stamp = now()
            values |= {":over": _s(Status.FINISHED), ":sd": _s(FINISHED + stamp),
                       ":other": _s(other)}  # fmt: skip
            sets += ["#st = :over", "StatusDate = :sd", "FinalBoard = Board", "Winner = :other"]
            removes.append("Turn")
        elif game.winner == player:
            sets.append("Winner = :gone")
        self._update(
            game.id,
            condition="Version = :v AND #st = :was",
            update="SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes),
            values=values,
        )


def _backoff(attempt: int) -> None:
    time.sleep(0.05 * 2**attempt)


def _s(value: str) -> dict[str, str]:
    return {"S": str(value)}


def _str(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value["S"] if value else None


def _game(item: dict[str, Any]) -> Game:
    return Game(
        id=item["GameId"]["S"],
        host=item["HostId"]["S"],
        opponent=item["OpponentId"]["S"],
        status=Status(item["Status"]["S"]),
        board=item["Board"]["S"],
        turn=_str(item, "Turn"),
        winner=_str(item, "Winner"),
        created_at=item["CreatedAt"]["S"],
        updated_at=item["UpdatedAt"]["S"],
        version=int(item["Version"]["N"]),
        host_picture=_str(item, "HostPicture"),
        opponent_picture=_str(item, "OpponentPicture"),
    )


def _finished_from_index(entry: dict[str, Any]) -> Game:
    """Build a finished game from its index entry, which holds all a list needs."""
    return Game(
        id=entry["GameId"]["S"],
        host=entry["HostId"]["S"],
        opponent=entry["OpponentId"]["S"],
        status=Status.FINISHED,
        board=entry["FinalBoard"]["S"],
        turn=None,
        winner=_str(entry, "Winner"),
        created_at=entry["CreatedAt"]["S"],
        updated_at=entry["StatusDate"]["S"].removeprefix(FINISHED),
        version=0,  # not projected; list entries are not used for conditional requests
        host_picture=_str(entry, "HostPicture"),
        opponent_picture=_str(entry, "OpponentPicture"),
    )
