"""What each DynamoDB call of the app costs: asked of DynamoDB itself, on every call.

`install(client)` hooks botocore's events on the app's DynamoDB client: every call that
accepts ReturnConsumedCapacity asks for it (INDEXES: the table and each index apart; DynamoDB
bills nothing extra for the answer), and when the answer comes back each listener gets one
`Call`: the operation, the units per table and index, and the seconds spent waiting. The
request log adds the calls up per request (tictactoe/web/layers/requestlog.py); the benchmarks and
the capacity budget test add them up per kind of request (bench/capacity.py). The stores
know nothing of it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
Target = tuple[str, float]  # ("Games" or "Games/<index>", capacity units)


@dataclass(frozen=True)
class Call:
    """One DynamoDB call that was answered: what it was, what it consumed, how long it took."""

    operation: str
    targets: tuple[Target, ...]
    seconds: float

    @property
    def is_read(self) -> bool:
        return self.operation in READS

    @property
    def units(self) -> float:
        return sum(units for _, units in self.targets)

    @property
    def rcu(self) -> float:
        return self.units if self.is_read else 0.0

    @property
    def wcu(self) -> float:
        return 0.0 if self.is_read else self.units


Listener = Callable[[Call], None]


class Meter:
    """The hooks on one client, and who hears about its calls."""

    def __init__(self) -> None:
        self.listeners: list[Listener] = []
        self._started = threading.local()

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with every answered call from now on."""
        self.listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.remove(listener)

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "INDEXES"

    def _start(self, **_: Any) -> None:
        self._started.at = time.perf_counter()

    def _answered(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        took = time.perf_counter() - getattr(self._started, "at", time.perf_counter())
        call = Call(model.name, targets(parsed.get("ConsumedCapacity")), took)
        for listener in list(self.listeners):
            listener(call)


_meters: weakref.WeakKeyDictionary[Any, Meter] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def install(client: Any) -> Meter:
    """Return the meter on `client` (a botocore DynamoDB client), hooking it on first use."""
    with _lock:
        meter = _meters.get(client)
        if meter is None:
            meter = _meters[client] = Meter()
            events = client.meta.events
            events.register("provide-client-params.dynamodb", meter._ask_for_capacity)
            events.register("before-call.dynamodb", meter._start)
            events.register("after-call.dynamodb", meter._answered)
        return meter


def targets(consumed: list[dict[str, Any]] | dict[str, Any] | None) -> tuple[Target, ...]:
    """Return (table or "table/index", units) for each part of a ConsumedCapacity answer."""
    entries = [consumed] if isinstance(consumed, dict) else consumed or []
    found: list[Target] = []
    for entry in entries:
        table = entry.get("TableName", "?")
        indexes = entry.get("GlobalSecondaryIndexes", {})
        units = _units(entry.get("Table")) if "Table" in entry else entry.get("CapacityUnits", 0.0)
        if units or not indexes:  # a query of an index reports 0 units on its table
            found.append((table, float(units)))
        for index, used in indexes.items():
            found.append((f"{table}/{index}", _units(used)))
    return tuple(found)


def _units(used: dict[str, Any] | None) -> float:
    return float((used or {}).get("CapacityUnits", 0.0))
