"""A player's home lists, read from the two indexes so that none can crowd out another.

Index entries sort by StatusDate: OPEN_ (in progress) > INVITED_ > FINISHED_. Read newest
first, a player's games in progress come before any invitation, so no number of
invitations can push one out of its list. Invitations and finished games are built from
their index entries; only the games in progress are read from the table, in one batch.

Games against the computer are listed with the player's other games: an entry with no
OpponentId under OPEN_ or FINISHED_ is one (items.py). Its entry does not hold its level
(Computer is not projected), so a finished one among the LIST_LENGTH shown is read from the
table in the same batch as the games in progress, the first time this process lists it: a
finished game's level never changes, so it is remembered (LEVELS_KEPT of them). Every list
shows the level, for 0.5 RCU per such game once per process (and one call more when no game
is in progress). Projecting Computer instead would take a new index in place of the host
index: a backfill, an IAM change, and the old index's writes until it is dropped (see
docs/benchmarks.md and tests/store/test_capacity_computer.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from tictactoe.rules.board import COMPUTER, Game, Status
from tictactoe.store.errors import translated
from tictactoe.store.gametable import GameTable
from tictactoe.store.invitations import invited_range
from tictactoe.store.items import FINISHED, INVITED, OPEN, game_from_item, s, text
from tictactoe.store.schema import HOST_INDEX, OPPONENT_INDEX

LIST_LENGTH = 10
MORE_LENGTH = 50  # a list's "more" link (the home page's ?more=1): the rest, up to this many
LEVELS_KEPT = 10_000  # finished games' levels a process remembers: about a megabyte
_PAGE = 40  # index entries read per query; small entries, so one page is one read unit


@dataclass(frozen=True)
class Lists:
    """A player's home page: invitations received and sent, games playing, games over."""

    invites: list[Game]
    sent: list[Game]
    in_progress: list[Game]
    finished: list[Game]


class Listing:
    """Reads of one Games table's indexes for the home lists."""

    def __init__(self, table: GameTable) -> None:
        self._client = table.client
        self._table = table.name
        self._levels = _Levels(LEVELS_KEPT)  # of finished games against the computer

    def game_ids(self, player: str) -> list[str]:
        """Return the id of every game `player` hosts or was invited to, all pages of both."""
        ids: list[str] = []
        for index, key in ((HOST_INDEX, "HostId"), (OPPONENT_INDEX, "OpponentId")):
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": index,
                "KeyConditionExpression": f"{key} = :p",
                "ExpressionAttributeValues": {":p": s(player)},
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

    def read(self, player: str, live_after: str, length: int = LIST_LENGTH) -> Lists:
        """Return `player`'s home lists, each the `length` newest first.

        Invitations and finished games come from their index entries; the games in progress
        are read from the table (in one batch), for their board and turn, and in the same
        batch the finished games against the computer, for their level.
        """
        hosted = self._entries(HOST_INDEX, "HostId", player, live_after, length)
        invited = self._entries(OPPONENT_INDEX, "OpponentId", player, live_after, length)

        def newest(entries: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
            found = [e for e in entries if e["StatusDate"]["S"].startswith(prefix)]
            return sorted(found, key=lambda e: e["StatusDate"]["S"], reverse=True)

        def pending(entries: list[dict[str, Any]]) -> list[Game]:
            live = [
                e for e in newest(entries, INVITED) if e["StatusDate"]["S"] > INVITED + live_after
            ]
            return [_invitation_from_index(e) for e in live[:length]]

        playing = newest(hosted + invited, OPEN)[:length]
        over = newest(hosted + invited, FINISHED)[:length]
        levels = self._levels.known([_id(e) for e in over if "OpponentId" not in e])
        unknown = [i for i, level in levels.items() if level is None]
        by_id = {g.id: g for g in self._batch_get([_id(e) for e in playing] + unknown)}
        for game_id in unknown:
            levels[game_id] = self._levels.keep(game_id, by_id.get(game_id))
        # Games from before invitations had their own StatusDate may still be pending.
        games = [by_id[i] for i in (_id(e) for e in playing) if i in by_id]
        older = [g for g in games if g.status is Status.PENDING]
        return Lists(
            invites=pending(invited) + [g for g in older if g.opponent == player],
            sent=pending(hosted) + [g for g in older if g.host == player],
            in_progress=[g for g in games if g.status is Status.IN_PROGRESS],
            finished=[replace(_finished_from_index(e), level=levels.get(_id(e))) for e in over],
        )

    def _entries(
        self, index: str, key: str, player: str, live_after: str, length: int
    ) -> list[dict[str, Any]]:
        """Read a player's index entries: in progress, then invitations, then finished.

        One page usually holds them all. When it does not, the invitations and the finished
        games it could not reach are read by their own StatusDate prefix, `length` each.
        """
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{key} = :p",
            "ExpressionAttributeValues": {":p": s(player)},
            "ScanIndexForward": False,  # OPEN_ > INVITED_ > FINISHED_
            "Limit": max(_PAGE, length),
        }
        with translated("listing games"):
            page = self._client.query(**query)
            entries: list[dict[str, Any]] = page["Items"]
            if "LastEvaluatedKey" not in page:
                return entries
            last = entries[-1]["StatusDate"]["S"] if entries else ""
            if not last.startswith(FINISHED):
                live = f"{key} = :p AND StatusDate BETWEEN :from AND :to"
                entries += self._more(query, live, invited_range(live_after), length)
            finished = sum(e["StatusDate"]["S"].startswith(FINISHED) for e in entries)
            if finished < length:
                over = f"{key} = :p AND begins_with(StatusDate, :f)"
                entries += self._more(query, over, {":f": s(FINISHED)}, length)
        return list({_id(e): e for e in entries}.values())

    def _more(
        self, query: dict[str, Any], condition: str, values: dict[str, Any], length: int
    ) -> list[dict[str, Any]]:
        """Read `length` more of the player's entries: those `condition` picks."""
        player = query["ExpressionAttributeValues"][":p"]
        narrower = {
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": {":p": player, **values},
            "Limit": length,
        }
        items: list[dict[str, Any]] = self._client.query(**query | narrower)["Items"]
        return items

    def _batch_get(self, game_ids: list[str]) -> list[Game]:
        games: list[Game] = []
        keys = [{"GameId": s(i)} for i in dict.fromkeys(game_ids)]
        for attempt in range(5):
            if not keys:
                break
            with translated("reading games"):
                found = self._client.batch_get_item(
                    RequestItems={self._table: {"Keys": keys[:100]}}
                )
            games += [game_from_item(item) for item in found["Responses"].get(self._table, [])]
            unprocessed = found.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
            keys = unprocessed + keys[100:]
            if unprocessed:
                _backoff(attempt)
        return games


class _Levels:
    """The levels of finished games against the computer that this process has read.

    A finished game's level never changes, so what is kept is never stale; the oldest goes
    first once `size` are kept. Shared by the threads of a process, hence the lock.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def known(self, game_ids: list[str]) -> dict[str, str | None]:
        """Return the level kept for each of `game_ids` (None: not kept, to be read)."""
        with self._lock:
            return {i: self._kept.get(i) for i in game_ids}

    def keep(self, game_id: str, game: Game | None) -> str | None:
        """Remember the level of `game` as read (None: not found); return it."""
        level = game.level if game is not None else None
        if level is not None:
            with self._lock:
                self._kept[game_id] = level
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        return level


def _backoff(attempt: int) -> None:
    time.sleep(0.05 * 2**attempt)


def _invitation_from_index(entry: dict[str, Any]) -> Game:
    """Build a pending invitation from its index entry, which holds all a list needs."""
    pictures = (text(entry, "HostPicture"), text(entry, "OpponentPicture"))
    return Game.invitation(
        entry["GameId"]["S"],
        entry["HostId"]["S"],
        text(entry, "OpponentId"),  # None: a challenge
        entry["CreatedAt"]["S"],
        pictures,
        x_is_host=_x_is_host(entry),
    )


def _id(entry: dict[str, Any]) -> str:
    return str(entry["GameId"]["S"])


def _finished_from_index(entry: dict[str, Any]) -> Game:
    """Build a finished game from its index entry (for one against the computer: no level)."""
    return Game(
        id=entry["GameId"]["S"],
        host=entry["HostId"]["S"],
        opponent=text(entry, "OpponentId") or COMPUTER,  # none: a game against the computer
        status=Status.FINISHED,
        board=entry["FinalBoard"]["S"],
        turn=None,
        winner=text(entry, "Winner"),
        created_at=entry["CreatedAt"]["S"],
        updated_at=entry["StatusDate"]["S"].removeprefix(FINISHED),
        version=0,  # not projected; list entries are not used for conditional requests
        host_picture=text(entry, "HostPicture"),
        opponent_picture=text(entry, "OpponentPicture"),
        x_is_host=_x_is_host(entry),
    )


def _x_is_host(entry: dict[str, Any]) -> bool:
    """Whether the host plays X (projected since rematches; older entries: the opponent)."""
    return bool(entry.get("XIsHost", {}).get("BOOL", False))
