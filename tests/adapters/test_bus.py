"""The push bus (tictactoe/adapters/bus.py) on a real redis-server of this module's own.

Publishing never raises and never waits, whatever the bus does: down (nothing listens on the
port), stalled (a socket that accepts and never answers) or gone mid-way (the server stopped).
A failure is logged once per outage. The subscription reports itself down and up again.
"""

from __future__ import annotations

import logging
import queue
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from devstack import processes, redis_server
from tests.support.streams import WAIT, RedisServer, eventually, running_redis
from tictactoe.adapters import bus as buses
from tictactoe.adapters.bus import Bus
from tictactoe.rules import notices
from tictactoe.rules.board import Game
from tictactoe.rules.notices import Changed, Gone, Notice, Revoked

NOTICES: list[Notice] = [
    Changed("game0001", 3, ("alice", "bob")),
    Gone("game0002", ("alice", "bob")),
    Revoked("alice", 4),
    Revoked("bob", None),
]
QUICKLY = 0.2  # seconds: what "returns at once" allows a hundred publishes, on a loaded box


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("redis")) as running:
        yield running


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buses, "BACKOFF", (0.05, 0.1, 0.2))  # subscribe again soon


class Listener:
    """What the subscription tells: notices and up/down, in queues the test reads."""

    def __init__(self) -> None:
        self.notices: queue.Queue[Notice] = queue.Queue()
        self.states: queue.Queue[bool] = queue.Queue()

    def listen(self, bus: Bus) -> Listener:
        bus.listen(self.notices.put, self.states.put)
        assert self.states.get(timeout=WAIT) is True
        return self

    def notice(self) -> Notice:
        return self.notices.get(timeout=WAIT)

    def state(self) -> bool:
        return self.states.get(timeout=WAIT)


def channel(name: str) -> str:
    return f"test:{name}:{time.monotonic_ns()}"  # no other test's notices


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == buses.__name__ and r.levelno >= logging.WARNING
    ]


def test_every_notice_published_reaches_every_listener(server: RedisServer) -> None:
    name = channel("fanout")
    first, second = (
        Listener().listen(Bus(server.url, name)),
        Listener().listen(Bus(server.url, name)),
    )
    publisher = Bus(server.url, name)  # another instance
    for notice in NOTICES:
        publisher.publish(notice)
    assert [first.notice() for _ in NOTICES] == NOTICES
    assert [second.notice() for _ in NOTICES] == NOTICES


def test_a_game_crosses_signed_and_only_instances_holding_a_key_take_it(
    server: RedisServer,
) -> None:
    name, new, old = channel("signed"), notices.key("new secret"), notices.key("old secret")
    game = Game.invitation("game0001", "alice", "bob", "2026-01-01T00:00:00Z")
    rotated = Listener().listen(Bus(server.url, name, keys=(new, old)))
    stranger = Listener().listen(Bus(server.url, name, keys=(notices.key("another app"),)))
    Bus(server.url, name, keys=(old,)).publish(notices.changed(game))  # not yet rotated
    assert rotated.notice() == notices.changed(game)
    assert stranger.notice() == replace(notices.changed(game), game=None)  # it must read


def test_anything_else_on_the_channel_is_ignored(server: RedisServer) -> None:
    name = channel("junk")
    heard = Listener().listen(Bus(server.url, name))
    raw = redis.Redis.from_url(server.url)
    try:
        for junk in (b"", b"nonsense", b"\xff\xfe", b"[1, 2]", b'{"game": 5}', b"null"):
            raw.publish(name, junk)
    finally:
        raw.close()
    Bus(server.url, name).publish(NOTICES[0])
    assert heard.notice() == NOTICES[0]  # the first real notice, nothing before it
    assert heard.notices.empty() and heard.states.empty()  # and the subscription is still up


def test_publish_to_a_bus_that_is_not_there_never_raises_nor_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = Bus(redis_server.url(processes.free_port()), channel("dead"))  # nothing listens
    with caplog.at_level(logging.INFO, logger=buses.__name__):
        started = time.monotonic()
        for n in range(100):
            dead.publish(Changed(f"game{n:04}", n, ("alice", "bob")))
        assert time.monotonic() - started < QUICKLY
        eventually(lambda: warnings_of(caplog))  # the sender found out, and said so
        time.sleep(0.3)  # the rest of the queue fails too
    assert len(warnings_of(caplog)) == 1, warnings_of(caplog)  # once, not per notice
    assert "not answering" in warnings_of(caplog)[0]


@pytest.fixture
def stalled() -> Iterator[str]:
    """A bus that takes connections and never answers (a hung or overloaded server)."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(64)  # never accepted: the kernel completes the handshakes, no more
        yield redis_server.url(listening.getsockname()[1])


def test_publish_to_a_stalled_bus_returns_at_once_and_drops_what_cannot_wait(
    stalled: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(buses, "WAITING", 5)
    slow = Bus(stalled, channel("stalled"))
    with caplog.at_level(logging.INFO, logger=buses.__name__):
        started = time.monotonic()
        for n in range(100):  # far more than WAITING, and none of them is sent
            slow.publish(Changed(f"game{n:04}", n, ("alice", "bob")))
        assert time.monotonic() - started < QUICKLY
    assert warnings_of(caplog) == [
        "The push bus is not answering (too many notices are waiting to be sent); "
        "pages fall back to polling"
    ]


def test_the_subscription_says_when_the_bus_goes_down_and_comes_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    own = RedisServer(tmp_path)  # this test stops its server: one of its own
    own.start()
    try:
        name = channel("outage")
        bus = Bus(own.url, name)
        heard = Listener().listen(bus)
        with caplog.at_level(logging.INFO, logger=buses.__name__):
            own.stop()
            assert heard.state() is False
            started = time.monotonic()
            for n in range(20):
                bus.publish(Changed(f"game{n:04}", n, ("alice",)))  # while it is down
            assert time.monotonic() - started < QUICKLY
            time.sleep(0.5)  # several attempts to subscribe again fail meanwhile
            assert len(warnings_of(caplog)) == 1, warnings_of(caplog)
            own.start()  # back, on the same port
            assert eventually(lambda: _next_true(heard))
            bus.publish(NOTICES[0])
            assert _first(heard, NOTICES[0])  # notices flow again
        assert any("answers again" in r.getMessage() for r in caplog.records)
        assert len(warnings_of(caplog)) == 1
    finally:
        own.stop()


def _next_true(heard: Listener) -> bool:
    try:
        return heard.states.get(timeout=0.1) is True
    except queue.Empty:
        return False


def _first(heard: Listener, wanted: Notice) -> bool:
    """Notices published while the bus was down are lost or late: wait for `wanted`."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if heard.notices.get(timeout=WAIT) == wanted:
            return True
    return False
