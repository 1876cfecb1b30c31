"""Schema changes: start-up and `migrate` bring tables made by an older version up to date.

The real case: the Users table made by the version before the leaderboard lacks
LADDER_INDEX. Every test starts from the tables as that version left them (no ladder index,
no deletion protection, no point-in-time recovery, TTL on), with accounts in them.
"""

from __future__ import annotations

import ast
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import yaml
from botocore.config import Config
from moto import mock_aws

from tests.conftest import make_settings, passthrough, running_dynamodb_local
from tests.support import ROOT
from tests.support.openapi import CheckedClient
from tictactoe import __main__ as cli
from tictactoe import create_app
from tictactoe.config import Settings
from tictactoe.services.backend import Backend, build
from tictactoe.store import ensure_tables, lease, migration, tables
from tictactoe.store.schema import LADDER_INDEX, TTL_ATTRIBUTE, definitions, expiring_tables
from tictactoe.web import health

PLAYERS = [f"player{n}" for n in range(12)]
EXTRA_INDEX = "Extra-index"  # an operator's own index, not in the schema


def previous_version(settings: Settings, extra_index: bool = False) -> Backend:
    """Create the tables as the version before the ladder did, with players in them."""
    backend = build(settings)
    # Patient and without retries: on a busy machine a retried CreateTable finds its own table.
    patient = Config(read_timeout=60, retries={"total_max_attempts": 1})
    client = boto3.client(
        "dynamodb", region_name=settings.region, endpoint_url=settings.endpoint, config=patient
    )
    for definition in definitions(settings):
        if definition["TableName"] == settings.users_table:
            definition = {
                **definition,
                "AttributeDefinitions": definition["AttributeDefinitions"][:1],
            }
            del definition["GlobalSecondaryIndexes"]
            if extra_index:
                definition["AttributeDefinitions"].append(
                    {"AttributeName": "Extra", "AttributeType": "S"}
                )
                definition["GlobalSecondaryIndexes"] = [
                    {
                        "IndexName": EXTRA_INDEX,
                        "KeySchema": [{"AttributeName": "Extra", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                ]
        client.create_table(**definition)
        tables.wait_active(client, definition["TableName"], time.monotonic() + 30)
    for name in expiring_tables(settings):
        tables.turn_on_ttl(client, name, TTL_ATTRIBUTE)
    for name in PLAYERS:
        backend.users.create(name, "hash-of-" + name, "skeleton-" + name)
    # Two items that already carry the ladder's keys: the new index must pick them up.
    for rank in (1, 2):
        client.put_item(
            TableName=settings.users_table,
            Item={
                "UserKey": {"S": f"ranked{rank}"},
                "Ladder": {"S": "0"},
                "Rank": {"N": str(rank)},
                "Name": {"S": f"Ranked{rank}"},
            },
        )
    return backend


def index_status(backend: Backend, settings: Settings) -> dict[str, str]:
    table = backend.dynamodb.describe_table(TableName=settings.users_table)["Table"]
    return {i["IndexName"]: i["IndexStatus"] for i in table.get("GlobalSecondaryIndexes", [])}


def protected(backend: Backend, settings: Settings) -> list[bool]:
    return [
        bool(
            backend.dynamodb.describe_table(TableName=d["TableName"])["Table"].get(
                "DeletionProtectionEnabled"
            )
        )
        for d in definitions(settings)
    ]


def everything_readable(backend: Backend, settings: Settings) -> None:
    for name in PLAYERS:
        user = backend.users.get(name, consistent=True)
        assert user is not None and user.password_hash == "hash-of-" + name
    found = backend.dynamodb.query(
        TableName=settings.users_table,
        IndexName=LADDER_INDEX,
        KeyConditionExpression="Ladder = :l",
        ExpressionAttributeValues={":l": {"S": "0"}},
    )["Items"]
    assert sorted(i["UserKey"]["S"] for i in found) == ["ranked1", "ranked2"]


def wait_healthy(app: Any, timeout: float = 60.0) -> None:
    """Ask /health until it answers 200 (the index is being built meanwhile)."""
    deadline = time.monotonic() + timeout
    while app.test_client().get("/health").status_code != 200:
        assert time.monotonic() < deadline, "/health never answered 200"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def dynamodb_local_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A DynamoDB Local of this module's own: adding an index to a table is several times
    slower in the shared one, which by now holds every other test's tables."""
    with running_dynamodb_local(tmp_path_factory.mktemp("migration-dynamodb-local")) as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process: nothing logged yet, no endpoint known to lack PITR."""
    monkeypatch.setattr(migration, "memory", migration._Memory())
    monkeypatch.setattr(tables, "lacks", tables._Lacking())
    monkeypatch.setattr(health, "CACHE_SECONDS", 0.0)


@contextmanager
def successful_updates() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record (operation, parameters) of every table change that DynamoDB accepted."""
    accepted: list[tuple[str, dict[str, Any]]] = []
    original = botocore.session.Session.create_client

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["test_params"] = dict(params)

    def record(http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code == 200:
            accepted.append((model.name, context["test_params"]))

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        for operation in ("UpdateTable", "UpdateContinuousBackups", "UpdateTimeToLive"):
            client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", remember)
            client.meta.events.register(f"after-call.dynamodb.{operation}", record)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield accepted
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


def test_three_instances_starting_at_once_migrate_once_and_all_come_up_healthy(
    dynamodb_local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three apps built in three threads of one process (instances are separate processes):
    # CPython 3.11 can fail ast.parse run in threads at once ("AST constructor recursion
    # depth mismatch"), which Werkzeug uses to compile each URL rule. One parse at a time.
    parsing, parse = threading.Lock(), ast.parse

    def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        with parsing:
            return parse(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", one_at_a_time)
    with mock_aws(config=passthrough(dynamodb_local_url)):
        settings = make_settings(endpoint=dynamodb_local_url)
        old = previous_version(settings)
        barrier = threading.Barrier(3)

        def start(_: int) -> Any:
            barrier.wait()
            return create_app(settings)

        with successful_updates() as accepted, ThreadPoolExecutor(3) as pool:
            apps = list(pool.map(start, range(3)))
            for app in apps:
                wait_healthy(app)
        index_creations = [p for op, p in accepted if "GlobalSecondaryIndexUpdates" in p]
        protections = [p["TableName"] for op, p in accepted if "DeletionProtectionEnabled" in p]
        assert len(index_creations) == 1, accepted  # each change made once, by one instance
        assert index_creations[0]["TableName"] == settings.users_table
        assert sorted(protections) == sorted(d["TableName"] for d in definitions(settings))
        assert len(accepted) == 4  # TTL was on already; DynamoDB Local has no PITR
        assert index_status(old, settings) == {LADDER_INDEX: "ACTIVE"}
        assert protected(old, settings) == [True, True, True]
        everything_readable(old, settings)
        held = {"UserKey": {"S": lease.KEY}}
        assert "Item" not in old.dynamodb.get_item(TableName=settings.users_table, Key=held)


def config_file(settings: Settings, tmp_path: Path) -> Path:
    endpoint = f'endpoint = "{settings.endpoint}"\n' if settings.endpoint else ""
    path = tmp_path / "migrate.toml"
    path.write_text(
        f'[dynamodb]\nregion = "{settings.region}"\n{endpoint}'
        f'games_table = "{settings.games_table}"\nusers_table = "{settings.users_table}"\n'
        f'avatars_table = "{settings.avatars_table}"\n[s3]\nbucket = "{settings.bucket}"\n'
        '[flask]\nsecret_key = "migration-test-key-of-32-characters"\n'
    )
    return path


def test_dry_run_prints_the_plan_and_changes_nothing_then_migrate_applies_it(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = previous_version(settings)
    monkeypatch.setenv("CONFIG_FILE", str(config_file(settings, tmp_path)))
    assert cli.main(["migrate", "--dry-run"]) == 0
    plan = capsys.readouterr().out.splitlines()
    assert f"{settings.users_table}: add index {LADDER_INDEX} (Ladder, Rank)" in plan
    assert f"{settings.games_table}: turn on deletion protection" in plan
    assert not any("time to live" in line for line in plan)  # on already
    assert index_status(old, settings) == {} and protected(old, settings) == [False] * 3

    assert cli.main(["migrate"]) == 0  # waits until the index is ACTIVE
    applied = capsys.readouterr().out.splitlines()
    assert f"{settings.users_table}: add index {LADDER_INDEX} (Ladder, Rank): done" in applied
    assert index_status(old, settings) == {LADDER_INDEX: "ACTIVE"}
    assert protected(old, settings) == [True, True, True]
    everything_readable(old, settings)

    assert cli.main(["migrate", "--dry-run"]) == 0
    again = capsys.readouterr().out.splitlines()
    assert "nothing to do: the tables match the schema" in again
    assert cli.main(["migrate"]) == 0
    assert "(0 changes made by this run)" in capsys.readouterr().out


def test_an_index_the_schema_does_not_know_is_left_alone_and_noted_once(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    old = previous_version(settings, extra_index=True)
    with caplog.at_level(logging.INFO, logger="tictactoe"):
        ensure_tables(old.dynamodb, settings)
        tables.wait_active(old.dynamodb, settings.users_table, time.monotonic() + 60)
        ensure_tables(old.dynamodb, settings)  # a second start: nothing more to log
    assert index_status(old, settings) == {EXTRA_INDEX: "ACTIVE", LADDER_INDEX: "ACTIVE"}
    noted = [r.getMessage() for r in caplog.records if EXTRA_INDEX in r.getMessage()]
    assert noted == [
        f"{settings.users_table}: index {EXTRA_INDEX} is not in the schema; left alone"
    ]
    everything_readable(old, settings)


def test_new_tables_are_protected_backed_up_and_expire_items_where_the_endpoint_can(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    backend = build(settings)
    client = backend.dynamodb
    with caplog.at_level(logging.INFO, logger="tictactoe"):
        ensure_tables(client, settings)
        ensure_tables(client, settings)
    assert protected(backend, settings) == [True, True, True]
    for name in expiring_tables(settings):
        assert tables.ttl_status(client, name) == ("ENABLED", TTL_ATTRIBUTE)
    missing = [r.getMessage() for r in caplog.records if "is not available" in r.getMessage()]
    if settings.endpoint:  # DynamoDB Local has no backup calls: one line says so, once
        assert missing == [
            f"point-in-time recovery is not available at {settings.endpoint}; "
            "skipped for every table"
        ]
    else:
        assert missing == []
        for definition in definitions(settings):
            assert tables.backups_status(client, definition["TableName"]) == "ENABLED"


def test_health_is_503_until_the_new_index_is_there_and_active(settings: Settings) -> None:
    old = previous_version(settings)
    held = {"UserKey": {"S": lease.KEY}}
    # Another instance holds the lease (and is slow about it): this one must not start too.
    old.dynamodb.put_item(
        TableName=settings.users_table,
        Item={
            **held,
            "Holder": {"S": "someone else"},
            TTL_ATTRIBUTE: {"N": str(int(time.time()) + 60)},
        },
    )
    app = create_app(settings)  # starts: it does not wait for anyone
    app.test_client_class = CheckedClient  # the 503 is as documented
    assert app.test_client().get("/health").status_code == 503
    assert index_status(old, settings) == {}
    old.dynamodb.delete_item(TableName=settings.users_table, Key=held)  # they went away
    wait_healthy(app)  # /health itself starts the index, and says 200 once it is ACTIVE
    assert index_status(old, settings) == {LADDER_INDEX: "ACTIVE"}
    everything_readable(old, settings)


def test_a_lease_left_by_a_process_that_died_is_taken_over(moto: None) -> None:
    settings = make_settings()
    old = previous_version(settings)
    old.dynamodb.put_item(
        TableName=settings.users_table,
        Item={
            "UserKey": {"S": lease.KEY},
            "Holder": {"S": "gone"},
            TTL_ATTRIBUTE: {"N": str(int(time.time()) - 1)},
        },
    )
    ensure_tables(old.dynamodb, settings)
    assert index_status(old, settings) == {LADDER_INDEX: "ACTIVE"}


def test_each_deploy_runs_migrate_once_on_the_leader_before_the_new_version_serves() -> None:
    config = yaml.safe_load((ROOT / ".ebextensions" / "02-migrate.config").read_text())
    (command,) = config["container_commands"].values()
    assert command["leader_only"] is True
    assert command["command"].endswith("python3 -m tictactoe migrate")  # applies; not --dry-run
    assert cli.MIGRATE_TIMEOUT < 600  # Elastic Beanstalk's default limit for a deploy's commands
