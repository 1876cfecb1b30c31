"""What an existing table lacks against the schema: the changes a migration would make.

Reading only: it plans the indexes, TTL, PITR and deletion protection the schema has and a
table lacks (migration.py makes them). An index or setting the schema does not know is never
planned for deletion or change: it stays as it is, with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tictactoe.store import tables
from tictactoe.store.tables import DELETION_PROTECTION, PITR

CREATE_TABLE, TTL, INDEX = "create table", "time to live", "index"


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
            found.building += not_active(table)
            _plan_indexes(definition, table, found)
            # After the index: DynamoDB Local forgets the protection when an index is added.
            _plan_protection(client, table, found)
    return found


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
        found.note(lacking(client, PITR))
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
        found.note(lacking(client, DELETION_PROTECTION))
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


def not_active(table: dict[str, Any]) -> list[str]:
    """Return what in `table` is still being built: the table itself, or its indexes."""
    name = table["TableName"]
    building = [] if table["TableStatus"] == "ACTIVE" else [f"{name} is {table['TableStatus']}"]
    return building + [
        f"{name}: index {i['IndexName']} is {i['IndexStatus']}"
        for i in table.get("GlobalSecondaryIndexes", [])
        if i["IndexStatus"] != "ACTIVE"
    ]


def lacking(client: Any, feature: str) -> str:
    """Say that the endpoint (DynamoDB Local, say) has no `feature` at all."""
    return f"{feature} is not available at {client.meta.endpoint_url}; skipped for every table"
