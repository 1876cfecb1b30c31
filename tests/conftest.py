"""Shared fixtures: no test can reach AWS; storage runs on moto and on the real DynamoDB Local."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack import dynamodb_local, processes
from tests.support.openapi import CheckedClient
from tests.support.players import ApiPlayer
from tests.support.streams import running_redis
from tictactoe import create_app
from tictactoe.config import Settings
from tictactoe.services.backend import Backend, build
from tictactoe.store import ensure_tables

_names = itertools.count()


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region; no profile or config file of the machine is read."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("TICTACTOE_SECRET_KEY", raising=False)
    monkeypatch.delenv("CONFIG_FILE", raising=False)


@pytest.fixture(autouse=True)
def _no_push_url_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Push is off unless a test turns it on: TICTACTOE_PUSH_URL of the shell is not read."""
    monkeypatch.delenv("TICTACTOE_PUSH_URL", raising=False)


def unique(prefix: str) -> str:
    """Return a name no other test (or xdist worker) uses."""
    return f"{prefix}{next(_names)}{uuid.uuid4().hex[:6]}"


def make_settings(endpoint: str | None = None, s3_endpoint: str | None = None) -> Settings:
    """Settings with table and bucket names of their own, so tests never share state."""
    return Settings(
        region="us-west-2",
        endpoint=endpoint,
        games_table=unique("Games"),
        users_table=unique("Users"),
        avatars_table=unique("Avatars"),
        bucket=unique("avatars-").lower(),
        s3_endpoint=s3_endpoint,
        secret_key="test-secret-key",
        # Every test client comes from 127.0.0.1: the limits' own tests switch them on.
        failed_logins_per_account=0,
        login_attempts_per_client=0,
        signups_per_client=0,
    )


@contextmanager
def running_dynamodb_local(home: Path) -> Iterator[str]:
    """Run a DynamoDB Local of its own, keeping its data under `home`; yield its URL."""
    port = processes.free_port()
    proc = dynamodb_local.start(port, home / "data", home / "dynamodb.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(proc)


@pytest.fixture(scope="session")
def dynamodb_local_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the real DynamoDB Local for this test session (one per xdist worker)."""
    with running_dynamodb_local(tmp_path_factory.mktemp("dynamodb-local")) as url:
        yield url


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(params=["moto", "dynamodb-local"])
def settings(request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings for storage tests, which run once on moto and once on DynamoDB Local.

    S3 is moto's in both cases (DynamoDB Local has no S3).
    """
    if request.param == "moto":
        with mock_aws():
            yield make_settings()
    else:
        url = request.getfixturevalue("dynamodb_local_url")
        with mock_aws(config=passthrough(url)):
            yield make_settings(endpoint=url)


@pytest.fixture
def backend(settings: Settings) -> Backend:
    """The stores on `settings` (moto and DynamoDB Local), tables and bucket in place."""
    built = build(settings)
    ensure_tables(built.dynamodb, settings)
    built.bucket.ensure_bucket()
    return built


def passthrough(url: str) -> dict[str, Any]:
    """moto config that lets requests to `url` (DynamoDB Local) through; S3 stays mocked."""
    return {"core": {"passthrough": {"urls": [re.escape(url) + ".*"]}}}


@pytest.fixture
def app(moto: None) -> Any:
    """The app on moto, with tables created by its own start-up."""
    application = create_app(make_settings())
    application.config["TESTING"] = True
    application.test_client_class = CheckedClient  # every API response is checked
    return application


@pytest.fixture
def player(app: Any) -> Any:
    """Make registered players: player("alice")."""

    def make(name: str | None = None) -> ApiPlayer:
        return ApiPlayer(app.test_client(), name or unique("p")[:20]).register()

    return make


@pytest.fixture
def dynamodb(moto: None) -> Any:
    return boto3.client("dynamodb", region_name="us-west-2")


@pytest.fixture
def local_app(dynamodb_local_url: str) -> Iterator[Any]:
    """The app on this worker's DynamoDB Local (for races that need the real thing)."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        yield create_app(make_settings(endpoint=dynamodb_local_url))


@pytest.fixture(scope="module")
def bus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A push bus of this test module's own: a redis-server on a free loopback port."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url
