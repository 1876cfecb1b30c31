"""Live games: the games between people in progress, for any signed-in player to watch.

A game between people carries Live (always LIVE) and LiveSince (when it started) from the
write that starts it (an accept, a Play now pairing) to the write that finishes it, which
removes them (endings.py; items.forgetting for a deleted player). Only such games are in
LIVE_INDEX (schema.py): invitations, finished games and games against the computer never
carry the keys, and a move writes neither, so the index costs one put when a game starts
and one delete when it ends, never a write per move.

One partition ("live") and not shards as the ladder's: the index is written twice a game,
far below what one partition takes, and a single partition is one Query to read.

The list (`LiveGames.read`): one Query of the newest LIVE_LENGTH + HEADROOM entries by
LiveSince, one BatchGetItem of the first LIVE_LENGTH games (their boards and turns change
with each move, so the index cannot hold them), a second one only if some of those were
not live after all; then ordered by their last move (UpdatedAt), newest first. So the list
is the LIVE_LENGTH most recently started live games, ordered by their last move. An entry
can outlive its game: the index is updated after the table, and a game finished by a
release that did not remove the keys keeps them. The game as read decides, never the entry.
"""

from __future__ import annotations

import time
from typing import Any

from tictactoe.rules.board import Game, Status
from tictactoe.store.errors import Unavailable, translated
from tictactoe.store.gametable import GameTable
from tictactoe.store.items import game_from_item, s
from tictactoe.store.schema import LIVE_INDEX

LIVE = "live"  # the index's one partition key value
LIVE_LENGTH = 50  # games listed, at most
HEADROOM = 10  # entries read beyond LIVE_LENGTH, in case some games ended meanwhile
_ATTEMPTS = 5  # batch reads of keys DynamoDB left unprocessed


def live_keys(stamp: str) -> dict[str, Any]:
    """Return the attributes that put a game that starts at `stamp` in the live index."""
    return {"Live": s(LIVE), "LiveSince": s(stamp)}


def is_live(game: Game) -> bool:
    """Return True when `game` is in progress between two people."""
    return game.status is Status.IN_PROGRESS and game.opponent is not None and game.level is None


class LiveGames:
    """Reads of the live index and of the games it names, in one Games table."""

    def __init__(self, table: GameTable) -> None:
        self._table = table

    def read(self, length: int = LIVE_LENGTH) -> list[Game]:
        """Return up to `length` live games, the most recently moved first (see above)."""
        ids = self._newest(length + HEADROOM)
        games = [g for g in self._games(ids[:length]) if is_live(g)]
        if len(games) < length and len(ids) > length:
            extra = ids[length : length + length - len(games)]
            games += [g for g in self._games(extra) if is_live(g)]
        games.sort(key=lambda g: g.updated_at, reverse=True)
        return games[:length]

    def _newest(self, count: int) -> list[str]:
        """Return the ids of the `count` most recently started games in the index."""
        with translated("listing live games"):
            found = self._table.client.query(
                TableName=self._table.name,
                IndexName=LIVE_INDEX,
                KeyConditionExpression="Live = :live",
                ExpressionAttributeValues={":live": s(LIVE)},
                ScanIndexForward=False,
                Limit=count,
            )
        return [entry["GameId"]["S"] for entry in found["Items"]]

    def _games(self, game_ids: list[str]) -> list[Game]:
        """Read the games named (eventually consistent), in one call unless throttled."""
        keys: list[dict[str, Any]] = [{"GameId": s(i)} for i in dict.fromkeys(game_ids)]
        items: list[dict[str, Any]] = []
        for attempt in range(_ATTEMPTS):
            if not keys:
                break
            with translated("reading live games"):
                found = self._table.client.batch_get_item(
                    RequestItems={self._table.name: {"Keys": keys}}
                )
            items += found["Responses"].get(self._table.name, [])
            keys = found.get("UnprocessedKeys", {}).get(self._table.name, {}).get("Keys", [])
            if keys:
                time.sleep(0.05 * 2**attempt)
        if keys:
            raise Unavailable("reading live games: DynamoDB is busy; try again")
        # Play now's slot and tombstones share the table but never carry the index's keys.
        return [game_from_item(item) for item in items if "HostId" in item]
