"""The DynamoDB client as the app builds it: its connection pool and its User-Agent."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tictactoe.adapters import clients

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def web_threads() -> int:
    """The threads of the Procfile's web process, each of which may hold a connection."""
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "web":
            words = shlex.split(command)
            return int(words[words.index("--threads") + 1])
    raise AssertionError("no web process in the Procfile")


def test_the_pool_holds_a_connection_for_every_thread_of_the_web_process() -> None:
    assert clients.POOL >= web_threads()


def test_every_call_sends_one_fixed_user_agent_and_the_pool_keeps_connections_alive(
    moto: None,
) -> None:
    client = clients.dynamodb(make_settings())
    sent: list[Any] = []
    client.meta.events.register("before-send.dynamodb", lambda request, **_: sent.append(request))
    client.list_tables()
    client.list_tables()
    first, second = (r.headers["User-Agent"].decode() for r in sent)
    assert first == second and first.startswith(f"{clients.USER_AGENT} Botocore/")
    assert client.meta.config.max_pool_connections == clients.POOL
    assert client.meta.config.tcp_keepalive is True


class _Stopped(Exception):
    """Raised in place of sending a request."""


def signed_with(client: Any, call: str) -> str:
    """Return the Authorization header of `call`, stopped before it is sent."""
    seen: list[str] = []

    def stop(request: Any, **_: Any) -> None:
        seen.append(request.headers["Authorization"].decode())
        raise _Stopped

    client.meta.events.register("before-send", stop)
    with pytest.raises(_Stopped):
        getattr(client, call)()
    return seen[0]


def test_a_local_stack_without_credentials_signs_every_client_with_dummy_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance to ask, either
    settings = make_settings(endpoint="http://127.0.0.1:8000", s3_endpoint="http://127.0.0.1:9")
    aws = clients.session(settings)
    for client, call in (
        (clients.dynamodb(settings), "list_tables"),
        (clients.s3(settings, aws), "list_buckets"),
        (clients.sts(settings, aws), "get_caller_identity"),
    ):
        assert "Credential=local/" in signed_with(client, call)
