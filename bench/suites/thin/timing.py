"""Client CPU per call of the move's UpdateItem and the poll's GetItem, botocore against thin.

Four clients in this process on one table of this module's own (the Games table's key) on
DynamoDB Local, which runs in another process, so its CPU is not counted (nor is the
client's wait on the socket, which is not CPU). A round, for each client in turn (the order
turns each round): the game is put back to just accepted (not timed), its six moves are
timed, then six polls. A sample is time.process_time() over those six calls, per call.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.suites.thin import calls
from bench.suites.thin.client import ThinClient
from tictactoe import create_app
from tictactoe.adapters import clients
from tictactoe.config import Settings

log = logging.getLogger("bench")
PATHS = {
    "app": "botocore as the app builds and hooks its client (create_app: tictactoe/adapters/"
    "clients.py with the as-sent parser, the capacity hook and the request log's listener)",
    "botocore": "the same client without the app's hooks (clients.dynamodb alone)",
    "thin": "the minimal client (bench/suites/thin/client.py): credentials frozen and a new "
    "SigV4Auth every call, as botocore's signer does",
    "thin, signer kept": "the same, one SigV4Auth made once and kept",
}
KINDS = {"UpdateItem": "the move's conditional UpdateItem", "GetItem": "the poll's GetItem"}
ROUNDS, SECONDS = 60, 60  # at least one round, at most ROUNDS, none started after SECONDS
QUICK_ROUNDS, QUICK_SECONDS = 8, 10


def measure(settings: Settings, quick: bool = False) -> dict[str, Any]:
    """Check the clients answer alike, then time them; return median µs per call and ratios."""
    rounds, budget = (QUICK_ROUNDS, QUICK_SECONDS) if quick else (ROUNDS, SECONDS)
    shipped = create_app(settings).extensions["tictactoe"].dynamodb
    bare = clients.dynamodb(settings)
    table = f"BenchThin{uuid.uuid4().hex[:8]}"
    _create(bare, table)
    thins = [_thin(settings, keep) for keep in (False, True)]
    sends = {
        "app": calls.botocore_send(shipped),
        "botocore": calls.botocore_send(bare),
        "thin": thins[0].call,
        "thin, signer kept": thins[1].call,
    }
    try:
        reset = _resetter(bare, table)
        calls.same_answers(sends, reset, table)
        samples, done, seconds = _rounds(sends, reset, table, rounds, budget)
    finally:
        for thin in thins:
            thin.close()
        bare.delete_table(TableName=table)
    log.info("  thin client: %d rounds in %.0f s", done, seconds)
    us = {p: {k: statistics.median(v) for k, v in by.items()} for p, by in samples.items()}
    return {
        "rounds": done,
        "calls_per_sample": len(calls.MOVES),
        "seconds": seconds,
        "load": os.getloadavg()[0],
        "us": us,
        "best_us": {p: {k: min(v) for k, v in by.items()} for p, by in samples.items()},
        "ratio": {p: {k: us[p][k] / us["app"][k] for k in KINDS} for p in PATHS},
    }


def _rounds(
    sends: dict[str, calls.Send],
    reset: Callable[[str], None],
    table: str,
    rounds: int,
    budget: float,
) -> tuple[dict[str, dict[str, list[float]]], int, float]:
    """Warm every client with one round, then take samples; bounded in count and in time."""
    samples: dict[str, dict[str, list[float]]] = {p: {k: [] for k in KINDS} for p in sends}
    games = {p: f"thin-{i}" for i, p in enumerate(sends)}
    names = list(sends)
    for name in names:  # warm: models, endpoint rules, connections
        _sample(sends[name], reset, table, games[name])
    started, done = time.monotonic(), 0
    while done < rounds and (done == 0 or time.monotonic() - started < budget):
        turn = done % len(names)
        for name in names[turn:] + names[:turn]:
            for kind, us in _sample(sends[name], reset, table, games[name]).items():
                samples[name][kind].append(us)
        done += 1
    return samples, done, time.monotonic() - started


def _sample(
    send: calls.Send, reset: Callable[[str], None], table: str, game_id: str
) -> dict[str, float]:
    """One game's six moves, then six polls of it: CPU µs per call of each."""
    reset(game_id)
    moves, poll = calls.moves(table, game_id), calls.poll(table, game_id)
    before = time.process_time()
    for params in moves:
        send("UpdateItem", params)
    moved = time.process_time()
    for _ in moves:
        send("GetItem", poll)
    polled = time.process_time()
    n = len(moves)
    return {"UpdateItem": (moved - before) * 1e6 / n, "GetItem": (polled - moved) * 1e6 / n}


def _thin(settings: Settings, keep_signer: bool) -> ThinClient:
    """A thin client on the stack's endpoint, with the credentials the app's session has."""
    credentials = clients.session(settings).get_credentials()
    if settings.endpoint is None or credentials is None:
        raise RuntimeError("the thin client is measured on DynamoDB Local, with credentials")
    return ThinClient(settings.endpoint, settings.region, credentials, keep_signer)


def _create(client: Any, table: str) -> None:
    """A table with the Games table's key, billed per request."""
    client.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "GameId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "GameId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table)


def _resetter(client: Any, table: str) -> Callable[[str], None]:
    def reset(game_id: str) -> None:
        client.put_item(TableName=table, Item=calls.game_item(game_id))

    return reset
