"""Table definitions, and creating them when missing (safely, from many processes at once)."""

from __future__ import annotations

import logging
import time
from typing import Any

from botocore.exceptions import ClientError

from ..config import Settings
from .errors import error_code, translated

log = logging.getLogger(__name__)

HOST_INDEX = "HostId-StatusDate-index"
OPPONENT_INDEX = "OpponentId-StatusDate-index"
# The leaderboard (Users table): players who have finished a game carry Ladder, one of a few
# shards so no single index partition takes every rating change, and Rank, a number that
# orders by rating, then wins. The top of each shard, read newest-first and merged, is the
# top of all. The index holds what a leaderboard row shows, so reading it reads nothing else.
LADDER_INDEX = "Ladder-Rank-index"
LADDER_SHOWS = ["Name", "Picture", "Wins", "Losses", "Ties", "Rating"]

# The attribute DynamoDB's time to live reads (epoch seconds): expired invitations in Games
# (and their pairs' locks, items keyed "invitation#<a>#<b>" that no index holds, see
# invitations.py), throttle counters in Users. Items without it never expire.
TTL_ATTRIBUTE = "ExpiresAt"

# What a finished game's list entry needs. None of it changes while a game is played, so a
# move never writes to an index: the index keys change only when the game finishes. XIsHost
# (who plays X: a rematch swaps the marks) is set when the game is created.
_LISTED = ["CreatedAt", "Winner", "FinalBoard", "HostPicture", "OpponentPicture", "XIsHost"]


def _index(name: str, player_key: str, other_player: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": player_key, "KeyType": "HASH"},
            {"AttributeName": "StatusDate", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [other_player, *_LISTED]},
    }


def definitions(settings: Settings) -> list[dict[str, Any]]:
    """Return the CreateTable arguments of every table the app uses."""
    return [
        {
            "TableName": settings.games_table,
            "KeySchema": [{"AttributeName": "GameId", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "GameId", "AttributeType": "S"},
                {"AttributeName": "HostId", "AttributeType": "S"},
                {"AttributeName": "OpponentId", "AttributeType": "S"},
                {"AttributeName": "StatusDate", "AttributeType": "S"},
            ],
            "GlobalSecondaryIndexes": [
                _index(HOST_INDEX, "HostId", "OpponentId"),
                _index(OPPONENT_INDEX, "OpponentId", "HostId"),
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
        {
            "TableName": settings.users_table,
            "KeySchema": [{"AttributeName": "UserKey", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "UserKey", "AttributeType": "S"},
                {"AttributeName": "Ladder", "AttributeType": "S"},
                {"AttributeName": "Rank", "AttributeType": "N"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": LADDER_INDEX,
                    "KeySchema": [
                        {"AttributeName": "Ladder", "KeyType": "HASH"},
                        {"AttributeName": "Rank", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": LADDER_SHOWS},
                }
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
        {
            "TableName": settings.avatars_table,
            "KeySchema": [{"AttributeName": "UserKey", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "UserKey", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    ]


def expiring_tables(settings: Settings) -> list[str]:
    """Return the tables whose items may carry TTL_ATTRIBUTE."""
    return [settings.games_table, settings.users_table]


def ensure_tables(client: Any, settings: Settings, timeout: float = 120.0) -> list[str]:
    """Create missing tables and wait until they and their indexes are ACTIVE.

    The usual start finds every table there: one DescribeTable each, nothing created.
    Several instances may start at once against an empty account: losing the CreateTable
    race (ResourceInUseException) is fine. An existing table is never modified. Returns the
    names of the tables this call created.
    """
    created = []
    deadline = time.monotonic() + timeout
    for definition in definitions(settings):
        name = definition["TableName"]
        table = _describe(client, name)
        if table is None and _create(client, definition):
            created.append(name)
        if table is None or not _active(table):
            _wait_active(client, name, deadline)
    for name in expiring_tables(settings):
        _ensure_ttl(client, name)
    return created


def tables_ready(client: Any, settings: Settings) -> bool:
    """Return True when every table is ACTIVE; create any that went missing."""
    for definition in definitions(settings):
        table = _describe(client, definition["TableName"])
        if table is None:
            try:
                ensure_tables(client, settings, timeout=2.0)
            except TimeoutError:
                pass  # created, not yet active: the next check will see
            return False
        if not _active(table):
            return False
    return True


def _describe(client: Any, name: str) -> dict[str, Any] | None:
    """Return the table's description, or None when there is no such table."""
    with translated(f"describing table {name}"):
        try:
            table: dict[str, Any] = client.describe_table(TableName=name)["Table"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise
    return table


def _create(client: Any, definition: dict[str, Any]) -> bool:
    """Create a table; return False when another process created it first."""
    name = definition["TableName"]
    with translated(f"creating table {name}"):
        try:
            client.create_table(**definition)
        except ClientError as err:
            if error_code(err) == "ResourceInUseException":
                return False
            raise
    log.info("Created table %s", name)
    return True


def _ensure_ttl(client: Any, name: str) -> None:
    """Turn on time to live for TTL_ATTRIBUTE unless it is on (or being turned on) already."""
    with translated(f"checking time to live of {name}"):
        found = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if found.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            return
        try:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
            )
        except ClientError as err:
            # Another instance turned it on meanwhile.
            if "already enabled" not in str(err).lower():
                raise
    log.info("Turned on time to live (%s) for %s", TTL_ATTRIBUTE, name)


def _active(table: dict[str, Any]) -> bool:
    statuses = [table["TableStatus"]]
    statuses += [i["IndexStatus"] for i in table.get("GlobalSecondaryIndexes", [])]
    return all(s == "ACTIVE" for s in statuses)


def _wait_active(client: Any, name: str, deadline: float) -> None:
    delay = 0.2
    while True:
        table = _describe(client, name)
        if table is not None and _active(table):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} is not ACTIVE after waiting")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
