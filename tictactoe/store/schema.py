"""Table definitions, and creating or updating the tables to match (from many processes at once)."""

from __future__ import annotations

import logging
import time
from typing import Any

from tictactoe.config import Settings
from tictactoe.store.drift import Target, missing_indexes
from tictactoe.store.errors import StoreError, Unavailable
from tictactoe.store.migration import reconcile, unfinished
from tictactoe.store.tables import active, create_missing, describe

log = logging.getLogger(__name__)

HOST_INDEX = "HostId-StatusDate-index"
OPPONENT_INDEX = "OpponentId-StatusDate-index"
# The leaderboard (Users table): players who have finished a game carry Ladder, one of a few
# shards so no single index partition takes every rating change, and Rank, a number that
# orders by rating, then wins. The top of each shard, read newest-first and merged, is the
# top of all. The index holds what a leaderboard row shows, so reading it reads nothing else.
LADDER_INDEX = "Ladder-Rank-index"
LADDER_SHOWS = ["Name", "Picture", "Wins", "Losses", "Ties", "Rating"]
# Games between people in progress, for anyone to watch (store/live.py). Sparse: only such a
# game carries Live (a constant) and LiveSince (when it started), written by the write that
# starts it and removed by the one that finishes it, so a move never writes this index.
# KEYS_ONLY: the list reads the games themselves for their boards. See "Take advantage of
# sparse indexes" in the DynamoDB Developer Guide (bp-indexes-general-sparse-indexes).
LIVE_INDEX = "Live-LiveSince-index"

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
        _games(settings.games_table),
        _users(settings.users_table),
        _pictures(settings.avatars_table),
    ]


def _games(name: str) -> dict[str, Any]:
    """The Games table: one item per game, and each player's games by status and date."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "GameId", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": "GameId", "AttributeType": "S"},
            {"AttributeName": "HostId", "AttributeType": "S"},
            {"AttributeName": "OpponentId", "AttributeType": "S"},
            {"AttributeName": "StatusDate", "AttributeType": "S"},
            {"AttributeName": "Live", "AttributeType": "S"},
            {"AttributeName": "LiveSince", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            _index(HOST_INDEX, "HostId", "OpponentId"),
            _index(OPPONENT_INDEX, "OpponentId", "HostId"),
            {
                "IndexName": LIVE_INDEX,
                "KeySchema": [
                    {"AttributeName": "Live", "KeyType": "HASH"},
                    {"AttributeName": "LiveSince", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _users(name: str) -> dict[str, Any]:
    """The Users table: accounts, throttle counters, and the ladder for the leaderboard."""
    return {
        "TableName": name,
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
    }


def _pictures(name: str) -> dict[str, Any]:
    """The Avatars table: which picture each player has."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "UserKey", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "UserKey", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def expiring_tables(settings: Settings) -> list[str]:
    """Return the tables whose items may carry TTL_ATTRIBUTE."""
    return [settings.games_table, settings.users_table]


def target(settings: Settings) -> Target:
    """Return what the tables should be, for migration.py; the lease lives in Users."""
    return Target(
        tables=tuple(definitions(settings)),
        expiring=tuple(expiring_tables(settings)),
        ttl_attribute=TTL_ATTRIBUTE,
        lease_table=settings.users_table,
    )


def ensure_tables(
    client: Any, settings: Settings, timeout: float = 120.0, *, strict: bool = True
) -> list[str]:
    """Create missing tables, then bring every table up to the schema without waiting.

    The usual start finds every table there and up to date: a few Describe calls, nothing
    changed. Several instances may start at once against an empty account: losing the
    CreateTable race (ResourceInUseException) is fine. A new table is created with deletion
    protection, then gets point-in-time recovery and TTL; an existing one gets what it lacks
    (migration.py), once, but an index being built is not waited for: /health answers 503
    until it is ACTIVE. With strict=False (start-up), a change that fails is logged and the
    app starts anyway. Returns the names of the tables this call created.
    """
    created = create_missing(client, definitions(settings), time.monotonic() + timeout)
    try:
        reconcile(client, target(settings))
    except StoreError as err:
        if strict or isinstance(err, Unavailable):
            raise
        log.error("Could not bring the tables up to date (%s); starting anyway", err)
    return created


def tables_ready(client: Any, settings: Settings) -> bool:
    """Return True when every table and index is ACTIVE; start creating what is missing."""
    for definition in definitions(settings):
        table = describe(client, definition["TableName"])
        if table is None:
            try:
                ensure_tables(client, settings, timeout=2.0)
            except TimeoutError:
                pass  # created, not yet active: the next check will see
            return False
        if not active(table):
            return False
        if missing_indexes(definition, table):
            reconcile(client, target(settings))  # this process or another starts building it
            return False
    if unfinished(target(settings)):
        # A change had to wait for the table (an index was being built): make it now. The
        # app works without it, so a failure here is logged, not a reason to be unhealthy.
        try:
            reconcile(client, target(settings))
        except StoreError as err:
            log.warning("Could not finish bringing the tables up to date: %s", err)
    return True
