"""What the leaderboard's reads cost, by number of players, with an exact or a bucketed Rank.

With today's exact Rank, the top 20 of each of the 4 shards is one Query of 20 entries, however
many players there are (store/ladder.py). With Rank bucketed (rating // 100), entries of one
bucket have the same sort key and come back in no useful order, so the exact top 20 needs the
whole top bucket read; and as every player starts at the same rating, one bucket can hold
nearly everyone. Both are measured on DynamoDB Local with players one game from the start
(1184 to 1216), billed as AWS bills it (bench/harness/billing/meter.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bench.harness.billing.meter import Biller
from bench.suites.designs.shapes import Design, tables
from tictactoe.rules import ratings
from tictactoe.store.items import s
from tictactoe.store.ladder import LADDER_SHARDS, LEADERBOARD_LENGTH, shard
from tictactoe.store.schema import LADDER_INDEX

PLAYERS = (100, 1000)
BUCKET = 100


def measure_ladder(
    endpoint_url: str, client: Callable[[str], Any], players: tuple[int, ...] = PLAYERS
) -> dict[str, Any]:
    """The leaderboard's RCU at each number of players, exact and bucketed."""
    found: dict[str, Any] = {"players": list(players), "exact": [], "coarse": []}
    for count in players:
        for name, bucket in (("exact", 0), ("coarse", BUCKET)):
            found[name].append(_leaderboard_rcu(endpoint_url, client, count, bucket))
    return found


def _leaderboard_rcu(
    endpoint_url: str, client: Callable[[str], Any], count: int, bucket: int
) -> float:
    peek, billed = client(endpoint_url), client(endpoint_url)
    design = Design("ladder", "ladder", bucket=bucket)
    tag = uuid.uuid4().hex[:8]
    users = tables(design, f"Games{tag}", f"Users{tag}")[1]
    peek.create_table(**users)
    try:
        _seed(peek, users["TableName"], design, count)
        biller = Biller.install(billed, peek, lambda: "leaderboard")
        _top(billed, users["TableName"], bucket > 0)
        rcu: float = biller.snapshot()["total"]["rcu"]
    finally:
        peek.delete_table(TableName=users["TableName"])
    return rcu


def _seed(peek: Any, table: str, design: Design, count: int) -> None:
    """`count` players one game from the start: a win (1216) or a loss (1184), spread."""
    items = []
    for i in range(count):
        key, won = f"player{i:05d}", i % 2
        rating = ratings.START + (16 if won else -16) + (i % 7) / 10
        items.append(
            {
                "UserKey": s(key),
                "Name": s(key),
                "Wins": {"N": str(won)},
                "Losses": {"N": str(1 - won)},
                "Ties": {"N": "0"},
                "Rating": {"N": ratings.stored(rating)},
                "Ladder": s(shard(key)),
                "Rank": {"N": str(design.rank(rating, won))},
            }
        )
    for start in range(0, count, 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        peek.batch_write_item(RequestItems={table: batch})


def _top(billed: Any, table: str, bucketed: bool) -> None:
    """Read the top of every shard; bucketed, until the bucket of its 20th entry is all read."""
    for k in range(LADDER_SHARDS):
        query: dict[str, Any] = {
            "TableName": table,
            "IndexName": LADDER_INDEX,
            "ScanIndexForward": False,
            "KeyConditionExpression": "Ladder = :shard",
            "Limit": LEADERBOARD_LENGTH,
            "ExpressionAttributeValues": {":shard": s(f"ladder#{k}")},
        }
        entries: list[dict[str, Any]] = []
        while True:
            page = billed.query(**query)
            entries += page["Items"]
            if not entries:
                break
            cutoff = entries[min(len(entries), LEADERBOARD_LENGTH) - 1]["Rank"]["N"]
            done = not bucketed or entries[-1]["Rank"]["N"] != cutoff
            if done or "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
