"""Bring existing tables up to the schema: missing indexes, TTL, PITR, deletion protection.

It adds what the schema has and a table lacks, and never deletes or changes anything else:
an index or setting it does not know stays as it is, noted once in the log.

Several processes may do this at once (instances starting, their workers, the deploy's
`migrate`). A pass that finds work takes a lease first: an item in the lease table under a
key no player can have, written on condition that nobody holds it. The holder reads the
tables again and makes the changes; the others leave them to it. DynamoDB itself refuses a
second index creation on a table (ResourceInUseException, LimitExceededException, "already
exists"): as when two processes race to create a table, that means someone else is on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tictactoe.store import lease, tables
from tictactoe.store.tables import DELETION_PROTECTION, PITR

log = logging.getLogger(__name__)

CREATE_TABLE, TTL, INDEX = "create table", "time to live", "index"
DONE, LATER, SKIPPED = "done", "later", "skipped"


@dataclass(frozen=True)
class Target:
    """What the tables should be (schema.target() builds it from the settings)."""

    tables: tuple[dict[str, Any], ...]  # CreateTable arguments
    expiring: tuple[str, ...]  # tables whose items may carry ttl_attribute
    ttl_attribute: str
    lease_table: str  # holds the lease item; its key is a single string

    def definition(self, name: str) -> dict[str, Any]:
        return next(t for t in self.tables if t["TableName"] == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t["TableName"] for t in self.tables)


@dataclass(frozen=True)
class Step:
    """One change to one table."""

    table: str
    kind: str
    index: dict[str, Any] | None = None  # the index to add, for INDEX

    def __str__(self) -> str:
        if self.index is not None:
            keys = ", ".join(k["AttributeName"] for k in self.index["KeySchema"])
            return f"{self.table}: add index {self.index['IndexName']} ({keys})"
        if self.kind == CREATE_TABLE:
            return f"{self.table}: create the table (deletion protection on)"
        return f"{self.table}: turn on {self.kind}"


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is left alone, and why
    building: list[str] = field(default_factory=list)  # tables or indexes not ACTIVE yet

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclass(frozen=True)
class Pass:
    done: list[Step]  # the changes this process made
    left: list[Step]  # not made now: someone else holds the lease, or the table is busy
    building: list[str]


def plan(client: Any, target: Target) -> Plan:
    """Read every table and return the changes that would bring it up to `target`."""
    found = Plan()
    for definition in target.tables:
        name = definition["TableName"]
        table = tables.describe(client, name)
        if table is None:
            found.steps.append(Step(name, CREATE_TABLE))
        _plan_settings(client, target, name, table, found)
        if table is not None:
            found.building += _not_active(table)
            _plan_indexes(definition, table, found)
            # After the index: DynamoDB Local forgets the protection when an index is added.
            _plan_protection(client, table, found)
    return found


def reconcile(client: Any, target: Target, say: Callable[[str], None] = log.info) -> Pass:
    """Make the changes that can be made now, once, under the lease; never wait for builds."""
    found = plan(client, target)
    for note in found.notes:
        _log_once(note)
    if all(step.kind == CREATE_TABLE for step in found.steps):  # none, or not ours to do
        memory.unfinished(target, False)
        return Pass([], found.steps, found.building)
    key = target.definition(target.lease_table)["KeySchema"][0]["AttributeName"]
    with lease.held(client, target.lease_table, key, target.ttl_attribute) as held:
        if not held:
            log.info("Another process is bringing the tables up to date; leaving it to them")
            memory.unfinished(target, True)
            return Pass([], found.steps, found.building)
        found = plan(client, target)  # again: the last holder may have done it all
        for note in found.notes:
            _log_once(note)
        done, left = _apply_all(client, target, found.steps, say)
    memory.unfinished(target, bool(left))
    return Pass(done, left, found.building)


def _apply_all(
    client: Any, target: Target, steps: list[Step], say: Callable[[str], None]
) -> tuple[list[Step], list[Step]]:
    """Make each change in turn; return those made and those left for a later pass."""
    done, left, busy = [], [], set()
    for step in steps:
        outcome = LATER if step.table in busy else _apply(client, target, step)
        if outcome == DONE:
            done.append(step)
            say(f"{step}: done")
        elif outcome == LATER:
            left.append(step)
        if step.kind == INDEX:
            busy.add(step.table)  # a table building an index takes no other change for now
    return done, left


def unfinished(target: Target) -> bool:
    """Return True when this process's last pass left a change for later (a table was busy)."""
    return memory.is_unfinished(target)


def migrate(
    client: Any, target: Target, timeout: float, say: Callable[[str], None] = log.info
) -> list[Step]:
    """Create missing tables, make every change and wait until every index is ACTIVE."""
    deadline = time.monotonic() + timeout
    tables.create_missing(client, target.tables, deadline)
    done: list[Step] = []
    delay = 1.0
    while True:
        result = reconcile(client, target, say)
        done += result.done
        if not (result.done or result.left or result.building):
            return done
        if time.monotonic() > deadline:
            waiting = "; ".join([str(s) for s in result.left] + result.building)
            raise TimeoutError(
                f"not finished after {timeout:.0f} s ({waiting}); index builds "
                "go on meanwhile: run migrate again later"
            )
        time.sleep(delay)
        delay = min(delay * 2, 10.0)


def missing_indexes(definition: dict[str, Any], table: dict[str, Any]) -> list[str]:
    """Return the names of the indexes `definition` has and `table` lacks."""
    have = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
    return [
        i["IndexName"]
        for i in definition.get("GlobalSecondaryIndexes", [])
        if i["IndexName"] not in have
    ]


def _plan_settings(
    client: Any, target: Target, name: str, table: dict[str, Any] | None, found: Plan
) -> None:
    """Plan PITR and TTL; a table still to create has neither on."""
    backups = "DISABLED" if table is None else tables.backups_status(client, name)
    if tables.lacks(client, PITR):
        found.note(_lacking(client, PITR))
    elif backups == "DISABLED":
        found.steps.append(Step(name, PITR))
    if name in target.expiring:
        status, attribute = ("DISABLED", None) if table is None else tables.ttl_status(client, name)
        if status == "DISABLED":
            found.steps.append(Step(name, TTL))
        elif attribute != target.ttl_attribute:
            found.note(f"{name}: {TTL} is on {attribute}, not {target.ttl_attribute}; left alone")
        elif status == "DISABLING":
            found.note(f"{name}: {TTL} is being turned off; left alone")


def _plan_protection(client: Any, table: dict[str, Any], found: Plan) -> None:
    if table.get("DeletionProtectionEnabled"):
        return
    if tables.lacks(client, DELETION_PROTECTION):
        found.note(_lacking(client, DELETION_PROTECTION))
    else:
        found.steps.append(Step(table["TableName"], DELETION_PROTECTION))


def _plan_indexes(definition: dict[str, Any], table: dict[str, Any], found: Plan) -> None:
    name = table["TableName"]
    have = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    want = {i["IndexName"]: i for i in definition.get("GlobalSecondaryIndexes", [])}
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    wanted = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
    for index_name, index in want.items():
        keys = [k["AttributeName"] for k in index["KeySchema"]]
        clash = [k for k in keys if types.get(k, wanted[k]) != wanted[k]]
        if index_name in have:
            if _shape(have[index_name]) != _shape(index):
                found.note(f"{name}: index {index_name} differs from the schema; left alone")
        elif clash:
            found.note(
                f"{name}: cannot add index {index_name}: {', '.join(clash)} has "
                "another type in this table; left alone"
            )
        else:
            found.steps.append(Step(name, INDEX, index))
    for index_name in sorted(set(have) - set(want)):
        found.note(f"{name}: index {index_name} is not in the schema; left alone")


def _shape(index: dict[str, Any]) -> tuple[Any, ...]:
    projection = index.get("Projection", {})
    return (
        [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]],
        projection.get("ProjectionType"),
        sorted(projection.get("NonKeyAttributes", [])),
    )


def _not_active(table: dict[str, Any]) -> list[str]:
    name = table["TableName"]
    building = [] if table["TableStatus"] == "ACTIVE" else [f"{name} is {table['TableStatus']}"]
    return building + [
        f"{name}: index {i['IndexName']} is {i['IndexStatus']}"
        for i in table.get("GlobalSecondaryIndexes", [])
        if i["IndexStatus"] != "ACTIVE"
    ]


def _apply(client: Any, target: Target, step: Step) -> str:
    """Make one change: DONE, LATER (busy, or someone else's) or SKIPPED (not available)."""
    if step.kind == CREATE_TABLE:
        return LATER  # tables.create_missing() creates tables, before any pass
    if step.kind == TTL:
        return DONE if tables.turn_on_ttl(client, step.table, target.ttl_attribute) else LATER
    if step.kind == PITR:
        return _turn_on_backups(client, step.table)
    if step.index is not None:
        table = tables.describe(client, step.table)
        if table is None or _not_active(table):
            return LATER  # being created, or building another index: a later pass will see
        made = tables.add_index(client, target.definition(step.table), table, step.index)
        return DONE if made else LATER
    if tables.protect(client, step.table):
        return DONE
    if tables.lacks(client, DELETION_PROTECTION):
        _log_once(_lacking(client, DELETION_PROTECTION))
        return SKIPPED
    return LATER


def _turn_on_backups(client: Any, name: str) -> str:
    """A new table's backups may be "being enabled" for a while: then a later pass (the next
    /health check, or migrate's next round) tries again, rather than this one waiting."""
    try:
        if tables.turn_on_backups(client, name):
            return DONE
    except tables.NotYet:
        return LATER
    _log_once(_lacking(client, PITR))
    return SKIPPED


def _lacking(client: Any, feature: str) -> str:
    return f"{feature} is not available at {client.meta.endpoint_url}; skipped for every table"


class _Memory:
    """What this process logged already (each note once), and which passes left work."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.notes: set[str] = set()
        self.left: set[tuple[str, ...]] = set()

    def first(self, note: str) -> bool:
        with self.lock:
            seen = note in self.notes
            self.notes.add(note)
            return not seen

    def unfinished(self, target: Target, left: bool) -> None:
        with self.lock:
            (self.left.add if left else self.left.discard)(target.names)

    def is_unfinished(self, target: Target) -> bool:
        with self.lock:
            return target.names in self.left


memory = _Memory()


def _log_once(note: str) -> None:
    if memory.first(note):
        log.warning("%s", note)
