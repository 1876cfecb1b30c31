"""The DynamoDB client as the app builds it: its connection pool and its User-Agent."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

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
