"""Client CPU per DynamoDB call, the old path against the new, on DynamoDB Local (issue 27).

Four clients on one table of this module's own, in one process: botocore as the app used it
before issue 27 (its parser, the User-Agent built per call), each of the two changes alone,
and the client as the app builds it now (tictactoe/adapters/clients.py). A round makes
BATCH calls of each kind with each client in turn; a sample is the process's CPU
(time.process_time) over a batch, per call. DynamoDB Local runs in another process, so its
CPU is not counted; the client's wait on the socket is not CPU either.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
import timeit
import uuid
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.parsers import ResponseParserFactory

from tictactoe.adapters import clients
from tictactoe.adapters.dynamodb_json import AsSentParsers
from tictactoe.config import Settings

log = logging.getLogger("bench")
PATHS = {
    "before": "botocore's parser, User-Agent built per call (as before issue 27)",
    "user agent": "a fixed User-Agent (Config user_agent) alone",
    "parser": "the as-sent parser (tictactoe/adapters/dynamodb_json.py) alone",
    "after": "both, as tictactoe/adapters/clients.py builds the client",
}
KINDS = ("GetItem", "UpdateItem, conditional", "Query, 25 items", "BatchGetItem, 10 items")
BATCH = 20  # calls per sample
ROUNDS, SECONDS = 30, 40  # at least one round, at most ROUNDS, none started after SECONDS
QUICK_ROUNDS, QUICK_SECONDS = 5, 8
# The DynamoDB client's options before issue 27 (parameter validation was already off).
BEFORE = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=20,
    parameter_validation=False,
)


def measure(settings: Settings, quick: bool = False) -> dict[str, Any]:
    """Time every kind of call on every path; return median µs per call and after ÷ before."""
    rounds, budget = (QUICK_ROUNDS, QUICK_SECONDS) if quick else (ROUNDS, SECONDS)
    paths = _clients(settings)
    table = f"BenchCalls{uuid.uuid4().hex[:8]}"
    samples: dict[str, dict[str, list[float]]] = {p: {k: [] for k in KINDS} for p in paths}
    started, done = time.monotonic(), 0
    _create(paths["before"], table)
    try:
        calls = {p: _calls(client, table, f"moves {p}") for p, client in paths.items()}
        for p in paths:  # warm each path's caches (models, endpoint rules, connections)
            for kind in KINDS:
                calls[p][kind]()
        while done < rounds and (done == 0 or time.monotonic() - started < budget):
            for kind in KINDS:
                for p in paths:
                    samples[p][kind].append(_sample(calls[p][kind]))
            done += 1
    finally:
        paths["before"].delete_table(TableName=table)
    medians = {p: {k: statistics.median(v) for k, v in by.items()} for p, by in samples.items()}
    # The best sample too: on a shared machine it is the one least slowed by other work.
    best = {p: {k: min(v) for k, v in by.items()} for p, by in samples.items()}
    log.info("  DynamoDB calls: %d rounds in %.0f s", done, time.monotonic() - started)
    return {
        "user_agent_us": {p: _user_agent_us(paths[p]) for p in ("before", "after")},
        "rounds": done,
        "batch": BATCH,
        "seconds": time.monotonic() - started,
        "load": os.getloadavg()[0],
        "us": medians,
        "best_us": best,
        "ratio": {k: medians["after"][k] / medians["before"][k] for k in KINDS},
    }


def before_client(settings: Settings) -> Any:
    """A DynamoDB client as the app built it before issue 27."""
    return _client(settings, ResponseParserFactory(), BEFORE)


def _clients(settings: Settings) -> dict[str, Any]:
    """The four clients, each on a session of its own (a parser factory is per session)."""
    fixed = Config(user_agent=clients.USER_AGENT)
    return {
        "before": before_client(settings),
        "user agent": _client(settings, ResponseParserFactory(), BEFORE.merge(fixed)),
        "parser": _client(settings, AsSentParsers(), BEFORE),
        "after": clients.dynamodb(settings),
    }


def _client(settings: Settings, parsers: ResponseParserFactory, config: Config) -> Any:
    session = clients.session(settings, parsers)
    return session.client("dynamodb", endpoint_url=settings.endpoint, config=config)


def _create(client: Any, table: str) -> None:
    """A table like Games (string key), with one partition of 25 game-like items to query."""
    client.create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "Id", "AttributeType": "S"},
            {"AttributeName": "Seq", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "Id", "KeyType": "HASH"},
            {"AttributeName": "Seq", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table)
    for seq in range(25):
        client.put_item(TableName=table, Item=_game_like(seq))


def _game_like(seq: int) -> dict[str, Any]:
    """An item shaped like a game's: names, state, a version, a move list, times."""
    return {
        "Id": {"S": "bench"},
        "Seq": {"N": str(seq)},
        "HostId": {"S": f"host{seq}"},
        "OpponentId": {"S": f"guest{seq}"},
        "StatusDate": {"S": f"IN_PROGRESS_2026-12-07T20:{seq:02d}:00"},
        "Turn": {"S": f"host{seq}"},
        "Version": {"N": "0"},
        "Moves": {"L": [{"N": str(c)} for c in (0, 4, 8, 2, 6, 3)]},
        "Level": {"NULL": True},
        "CreatedAt": {"N": "1796000000"},
        "UpdatedAt": {"N": "1796000060"},
    }


def _calls(client: Any, table: str, updated: str) -> dict[str, Callable[[], Any]]:
    """One call of each kind. The update bumps the version of an item of its own (partition
    `updated`, out of the query's way), so its condition holds every time."""
    key = {"Id": {"S": "bench"}, "Seq": {"N": "0"}}
    moved = {"Id": {"S": updated}, "Seq": {"N": "0"}}
    client.put_item(TableName=table, Item={**_game_like(0), **moved})
    version = [0]

    def update() -> Any:
        version[0] += 1
        return client.update_item(
            TableName=table,
            Key=moved,
            UpdateExpression="SET Version = :next, UpdatedAt = :now",
            ConditionExpression="Version = :seen",
            ExpressionAttributeValues={
                ":next": {"N": str(version[0])},
                ":seen": {"N": str(version[0] - 1)},
                ":now": {"N": str(int(time.time()))},
            },
            ReturnValues="ALL_NEW",
        )

    keys = [{"Id": {"S": "bench"}, "Seq": {"N": str(s)}} for s in range(10)]
    return {
        "GetItem": lambda: client.get_item(TableName=table, Key=key),
        "UpdateItem, conditional": update,
        "Query, 25 items": lambda: client.query(
            TableName=table,
            KeyConditionExpression="Id = :id",
            ExpressionAttributeValues={":id": {"S": "bench"}},
        ),
        "BatchGetItem, 10 items": lambda: client.batch_get_item(
            RequestItems={table: {"Keys": keys}}
        ),
    }


def _user_agent_us(client: Any) -> float:
    """CPU µs botocore spends on a call's User-Agent header: it builds the string twice per
    call (for the request, and again once the request is created). Timed apart from the
    calls, whose noise on a busy machine is larger than this; best of five."""
    build = client._user_agent_creator.to_string  # botocore's, as _make_api_call uses it
    n = 5000
    return 2 * min(timeit.repeat(build, number=n, repeat=5)) / n * 1e6


def _sample(call: Callable[[], Any]) -> float:
    """CPU µs per call over BATCH calls."""
    before = time.process_time()
    for _ in range(BATCH):
        call()
    return (time.process_time() - before) * 1e6 / BATCH
