"""Players' results and the leaderboard: reads of the Users table's counts and its ladder index.

A player's Users item gains, with their first finished game (written by results.py):
  Wins, Losses, Ties   counts of finished games
  Rating               Elo, unrounded (a DynamoDB number, to a millionth)
  Ladder, Rank         the leaderboard index's key: "ladder#<k>", k a stable hash of the
                       UserKey mod LADDER_SHARDS, and a number ordering by rating then wins
The index is sharded so that no single partition takes every rating change. The leaderboard
reads the top of each shard (one small Query each, newest-first by Rank) and merges them:
never a Scan, and its cost does not grow with the number of players.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tictactoe.rules.ratings import START
from tictactoe.store.errors import translated
from tictactoe.store.schema import LADDER_INDEX, LADDER_SHOWS

LADDER_SHARDS = 4
LEADERBOARD_LENGTH = 20
_SHOWS = ", ".join(f"#{name}" for name in LADDER_SHOWS)


@dataclass(frozen=True)
class Player:
    """What anyone may see of a player: their results and rating (unrounded)."""

    name: str
    picture: str | None  # content hash of the current picture (None: the default one)
    wins: int = 0
    losses: int = 0
    ties: int = 0
    rating: float = START


def shard(user_key: str) -> str:
    """Return the ladder shard of a player's UserKey (stable across processes and releases)."""
    return _shard_key(zlib.crc32(user_key.encode()) % LADDER_SHARDS)


def _shard_key(k: int) -> str:
    return f"ladder#{k}"


def player_from_item(item: dict[str, Any]) -> Player:
    """Return the Player a Users item (or ladder index entry) describes."""

    def count(name: str) -> int:
        return int(item.get(name, {}).get("N", "0"))

    return Player(
        name=item["Name"]["S"],
        picture=item.get("Picture", {}).get("S"),
        wins=count("Wins"),
        losses=count("Losses"),
        ties=count("Ties"),
        rating=float(item["Rating"]["N"]) if "Rating" in item else START,
    )


class Ladder:
    """Reads of players' results: one player's item, and the top of the ladder index."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def player(self, name: str) -> Player | None:
        """Return the player called `name` (any letter case), or None."""
        with translated("reading a player's results"):
            found = self._client.get_item(
                TableName=self._table,
                Key={"UserKey": {"S": name.lower()}},
                ProjectionExpression=_SHOWS,
                ExpressionAttributeNames={f"#{n}": n for n in LADDER_SHOWS},
            )
        item = found.get("Item")
        return player_from_item(item) if item and "Name" in item else None

    def top(self, length: int = LEADERBOARD_LENGTH) -> list[Player]:
        """Return the `length` best players by rating, then wins: the top of every shard."""
        entries: list[dict[str, Any]] = []
        for k in range(LADDER_SHARDS):
            with translated("reading the leaderboard"):
                page = self._client.query(
                    TableName=self._table,
                    IndexName=LADDER_INDEX,
                    KeyConditionExpression="Ladder = :shard",
                    ExpressionAttributeValues={":shard": {"S": _shard_key(k)}},
                    ScanIndexForward=False,
                    Limit=length,
                )
            entries += page["Items"]
        entries.sort(key=lambda e: (-Decimal(e["Rank"]["N"]), e["Name"]["S"].lower()))
        return [player_from_item(e) for e in entries[:length]]
