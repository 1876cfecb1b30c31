"""The control-plane calls on tables: describe, create, and turn safety settings on.

Each call turns the answers that mean "someone else is doing this" into a plain result, so
the callers (schema.py at start-up, migration.py) can run in many processes at once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.store.errors import error_code, translated

log = logging.getLogger(__name__)

PITR = "point-in-time recovery"
DELETION_PROTECTION = "deletion protection"
# What an endpoint answers for a call it does not have (DynamoDB Local: the backup calls).
UNSUPPORTED = "UnknownOperationException"


class NotYet(Exception):
    """A new table's backups are still being set up: ask again in a few seconds."""


class _Lacking:
    """Features an endpoint turned out not to have, remembered by this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.found: set[tuple[str, str]] = set()

    def add(self, client: Any, feature: str) -> None:
        with self.lock:
            self.found.add((str(client.meta.endpoint_url), feature))

    def __call__(self, client: Any, feature: str) -> bool:
        with self.lock:
            return (str(client.meta.endpoint_url), feature) in self.found


lacks = _Lacking()


def describe(client: Any, name: str) -> dict[str, Any] | None:
    """Return the table's description, or None when there is no such table."""
    with translated(f"describing table {name}"):
        try:
            table: dict[str, Any] = client.describe_table(TableName=name)["Table"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise
    return table


def create(client: Any, definition: dict[str, Any]) -> bool:
    """Create a table, protected from deletion; return False when another process was first."""
    name = definition["TableName"]
    with translated(f"creating table {name}"):
        try:
            client.create_table(**{"DeletionProtectionEnabled": True, **definition})
        except ClientError as err:
            if error_code(err) == "ResourceInUseException":
                return False
            raise
    log.info("Created table %s (deletion protection on)", name)
    return True


def create_missing(client: Any, definitions: Any, deadline: float) -> list[str]:
    """Create the tables that do not exist; wait until those being created are ACTIVE.

    An index being added to an existing table is not waited for: that may take minutes.
    """
    created = []
    for definition in definitions:
        name = definition["TableName"]
        table = describe(client, name)
        if table is None and create(client, definition):
            created.append(name)
        if table is None or table["TableStatus"] == "CREATING":
            wait_active(client, name, deadline)
    return created


def active(table: dict[str, Any]) -> bool:
    """Return True when the table and every index of it are ACTIVE."""
    statuses = [table["TableStatus"]]
    statuses += [i["IndexStatus"] for i in table.get("GlobalSecondaryIndexes", [])]
    return all(s == "ACTIVE" for s in statuses)


def wait_active(client: Any, name: str, deadline: float) -> None:
    """Wait until the table and its indexes are ACTIVE; TimeoutError after `deadline`."""
    delay = 0.2
    while True:
        table = describe(client, name)
        if table is not None and active(table):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} is not ACTIVE after waiting")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def ttl_status(client: Any, name: str) -> tuple[str, str | None]:
    """Return the table's time to live status and attribute."""
    with translated(f"checking time to live of {name}"):
        found = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return found.get("TimeToLiveStatus", "DISABLED"), found.get("AttributeName")


def turn_on_ttl(client: Any, name: str, attribute: str) -> bool:
    """Turn on time to live; return False when another process turned it on meanwhile."""
    with translated(f"turning on time to live of {name}"):
        try:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
            )
        except ClientError as err:
            if "already enabled" in str(err).lower():
                return False
            raise
    return True


def backups_status(client: Any, name: str) -> str | None:
    """Return the table's point-in-time recovery status; None when the endpoint lacks it."""
    if lacks(client, PITR):
        return None
    with translated(f"checking the backups of {name}"):
        try:
            found = client.describe_continuous_backups(TableName=name)
        except ClientError as err:
            if error_code(err) == UNSUPPORTED:
                lacks.add(client, PITR)
                return None
            raise
    recovery = found["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
    return str(recovery.get("PointInTimeRecoveryStatus", "DISABLED"))


def turn_on_backups(client: Any, name: str) -> bool:
    """Turn on point-in-time recovery; False when the endpoint lacks it. NotYet: try later."""
    with translated(f"turning on the backups of {name}"):
        try:
            client.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        except ClientError as err:
            if error_code(err) == UNSUPPORTED:
                lacks.add(client, PITR)
                return False
            if error_code(err) == "ContinuousBackupsUnavailableException":
                raise NotYet(name) from err
            raise
    return True


def protect(client: Any, name: str) -> bool:
    """Turn on deletion protection; False when the endpoint lacks it or the table is busy."""
    with translated(f"turning on deletion protection of {name}"):
        try:
            client.update_table(TableName=name, DeletionProtectionEnabled=True)
        except ClientError as err:
            if error_code(err) == UNSUPPORTED or (
                error_code(err) == "ValidationException" and "DeletionProtection" in str(err)
            ):
                lacks.add(client, DELETION_PROTECTION)
                return False
            if error_code(err) == "ResourceInUseException":
                return False
            raise
    return True


def add_index(
    client: Any, definition: dict[str, Any], table: dict[str, Any], index: dict[str, Any]
) -> bool:
    """Start building `index` on an existing table; False when someone else is changing it.

    The attribute definitions sent are the table's own plus those the new index's keys need.
    A provisioned table's new index gets the table's throughput.
    """
    keys = {k["AttributeName"] for k in index["KeySchema"]}
    attributes = {a["AttributeName"]: a for a in table.get("AttributeDefinitions", [])}
    for wanted in definition["AttributeDefinitions"]:
        if wanted["AttributeName"] in keys:
            attributes.setdefault(wanted["AttributeName"], wanted)
    create = dict(index)
    if table.get("BillingModeSummary", {}).get("BillingMode") != "PAY_PER_REQUEST":
        throughput = table.get("ProvisionedThroughput", {})
        create["ProvisionedThroughput"] = {
            "ReadCapacityUnits": max(1, throughput.get("ReadCapacityUnits", 1)),
            "WriteCapacityUnits": max(1, throughput.get("WriteCapacityUnits", 1)),
        }
    name = table["TableName"]
    with translated(f"adding index {index['IndexName']} to {name}"):
        try:
            client.update_table(
                TableName=name,
                AttributeDefinitions=list(attributes.values()),
                GlobalSecondaryIndexUpdates=[{"Create": create}],
            )
        except ClientError as err:
            # One index creation at a time per table: the loser of a race is told so.
            if error_code(err) in ("ResourceInUseException", "LimitExceededException"):
                return False
            if "already exists" in str(err):
                return False
            raise
    return True
