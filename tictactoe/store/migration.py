"""Bring existing tables up to the schema: make the changes drift.py plans, once.

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
from dataclasses import dataclass
from typing import Any

from tictactoe.store import lease, tables
from tictactoe.store.drift import CREATE_TABLE, INDEX, TTL, Step, Target, lacking, not_active, plan
from tictactoe.store.tables import DELETION_PROTECTION, PITR

log = logging.getLogger(__name__)

DONE, LATER, SKIPPED = "done", "later", "skipped"


@dataclass(frozen=True)
class Pass:
    done: list[Step]  # the changes this process made
    left: list[Step]  # not made now: someone else holds the lease, or the table is busy
    building: list[str]


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
        if table is None or not_active(table):
            return LATER  # being created, or building another index: a later pass will see
        made = tables.add_index(client, target.definition(step.table), table, step.index)
        return DONE if made else LATER
    if tables.protect(client, step.table):
        return DONE
    if tables.lacks(client, DELETION_PROTECTION):
        _log_once(lacking(client, DELETION_PROTECTION))
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
    _log_once(lacking(client, PITR))
    return SKIPPED


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
