"""Record the DynamoDB capacity the app's own calls consume, per HTTP request type.

`Recorder.install(client)` listens to the app's own capacity hook on its DynamoDB client
(tictactoe/adapters/capacity.py: every call asks for ReturnConsumedCapacity=INDEXES) and adds
up what comes back, per table and index, attributed to the Flask request being served (home, create,
accept, move, poll, page, login ...). Only the benchmarks and the budget test listen; the
request log adds the same calls up per request. `install(client, bill=True)` also keeps what
AWS would bill for the same calls (bench/harness/billing/meter.py), which DynamoDB Local reports its
own way (transactions, index writes, queries that find nothing).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, has_request_context, request

from bench.harness.billing.model import generic
from tictactoe import create_app
from tictactoe.adapters import capacity
from tictactoe.config import Settings

# Flask endpoint -> the request type a report is grouped by.
REQUEST_TYPES = {
    "pages.home": "home",
    "api.list_games": "home",
    "pages.invite": "create",
    "api.create_game": "create",
    "pages.accept": "accept",
    "api.accept": "accept",
    "pages.move": "move",
    "api.move": "move",
    "api.get_game": "poll",
    "pages.game": "page",
    "pages.resign_confirm": "page",  # the confirm step (no JavaScript) reads the game, no more
    "pages.rematch": "rematch",
    "pages.challenge": "challenge",
    "pages.resign": "resign",
    "pages.claim": "claim",
    "players.player": "player",
    "players.leaderboard": "leaderboard",
    "pages.login": "login",
    "api.login": "login",
    "pages.signup": "signup",
    "api.register": "signup",
    "api.set_avatar": "picture",
    "api.remove_avatar": "picture",
    "api.resign": "resign",
    "streams.game_events": "stream",  # a game page's stream, opened: its first event
    "streams.my_events": "stream",
    "api.claim": "claim",
    "api.player": "player",
    "api.leaderboard": "leaderboard",
    "api.rematch": "rematch",
    "api.create_challenge": "challenge",
}


def request_type() -> str:
    """Name the HTTP request being served, or "outside" when no request is."""
    if not has_request_context():
        return "outside"
    return REQUEST_TYPES.get(request.endpoint or "", request.endpoint or "unknown")


@dataclass
class Usage:
    """Calls and capacity units of one request type, or of one table or index."""

    calls: int = 0
    rcu: float = 0.0
    wcu: float = 0.0

    @property
    def cost(self) -> float:
        """Request-unit cost: a write unit is billed about five times a read unit."""
        return 5 * self.wcu + self.rcu

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.rcu += other.rcu
        self.wcu += other.wcu


@dataclass
class Recorder:
    """Capacity consumed since the last reset, by request type and by table/index."""

    by_type: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    by_target: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    by_operation: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    # Seconds spent waiting for DynamoDB, per (request type, operation).
    seconds: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # With `bill`: what AWS would bill for the same calls (bench/harness/billing/), in "aws".
    biller: Any = None

    @classmethod
    def install(cls, client: Any, bill: bool = False) -> Recorder:
        """Start recording the calls of `client` (a botocore DynamoDB client); with `bill`,
        also what AWS bills for them (it reads items around every call: not for timed runs)."""
        recorder = cls()
        capacity.install(client).subscribe(recorder._record)
        if bill:
            from bench.harness.billing.meter import Biller, reader_for

            recorder.biller = Biller.install(client, reader_for(client), request_type)
        return recorder

    def reset(self) -> None:
        if self.biller is not None:
            self.biller.reset()
        with self._lock:
            self.by_type.clear()
            self.by_target.clear()
            self.by_operation.clear()
            self.seconds.clear()

    def total(self) -> Usage:
        """Return the sum over request types (calls made outside requests excluded)."""
        usage = Usage()
        for kind, used in self.by_type.items():
            if kind != "outside":
                usage.add(used)
        return usage

    def snapshot(self) -> dict[str, Any]:
        """Return a plain copy: totals, per request type, per table/index, calls per op."""
        with self._lock:
            return {
                "total": _plain(self.total()),
                "by_type": {k: _plain(v) for k, v in sorted(self.by_type.items())},
                "by_target": {k: _plain(v) for k, v in sorted(self.by_target.items())},
                "by_operation": {
                    f"{k}:{op}": n for (k, op), n in sorted(self.by_operation.items())
                },
                "seconds": {f"{k}:{op}": t for (k, op), t in sorted(self.seconds.items())},
            } | ({"aws": self.biller.snapshot()} if self.biller is not None else {})

    # -- the app's capacity hook --------------------------------------------------------------

    def _record(self, call: capacity.Call) -> None:
        kind, operation = request_type(), call.operation
        with self._lock:
            self.by_operation[(kind, operation)] += 1
            self.seconds[(kind, operation)] += call.seconds
            for target, units in call.targets:
                part = Usage(calls=1, rcu=units) if call.is_read else Usage(calls=1, wcu=units)
                self.by_target[generic(target)].add(part)
            self.by_type[kind].add(Usage(calls=1, rcu=call.rcu, wcu=call.wcu))
            if not call.targets:
                self.by_target["(no capacity reported)"].calls += 1


def instrumented_app(settings: Settings) -> tuple[Flask, Recorder]:
    """Build the app as production does and hook a recorder onto its client, which also keeps
    what AWS would bill for the same calls (bench/harness/billing/meter.py)."""
    app = create_app(settings)
    return app, Recorder.install(app.extensions["tictactoe"].dynamodb, bill=True)


def _plain(usage: Usage) -> dict[str, float]:
    return {"calls": usage.calls, "rcu": usage.rcu, "wcu": usage.wcu, "cost": usage.cost}
