"""The push bus (tictactoe/adapters/bus.py) on a real redis-server of this module's own.

A notice reaches the listeners subscribed to one of its topics, and only those; a listener
that unsubscribed hears no more. During a deploy, instances of the release before (one classic
channel, PUBLISH and SUBSCRIBE) and of this one hear each other, each notice once.

Publishing never raises and never waits, whatever the bus does: down (nothing listens on the
port), stalled (a socket that accepts and never answers) or gone mid-way (the server stopped).
A failure is logged once per outage. The subscription reports itself down and up again.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
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
from tictactoe.rules.notices import GAME, PLAYER, SESSIONS, Changed, Gone, Notice, Revoked, Topic

NOTICES: list[Notice] = [
    Changed("game0001", 3, ("alice", "bob")),
    Gone("game0002", ("alice", "bob")),
    Revoked("alice", 4),
    Revoked("bob", None),
]


@contextlib.contextmanager
def never_waits() -> Iterator[None]:
    """Fail if the calling thread touches a socket inside the block: publishing only queues.

    A clock would say the same thing on a quiet machine and flake on a loaded one; what makes a
    publish wait is a network call on the caller's thread, so that is what this looks for.
    """
    caller, touched = threading.get_ident(), []

    def watched(name: str) -> Callable[..., object]:
        real = getattr(socket.socket, name)

        def call(self: socket.socket, *args: object, **kwargs: object) -> object:
            if threading.get_ident() == caller:
                touched.append(name)
            return real(self, *args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as patch:
        for name in ("connect", "connect_ex", "send", "sendall", "recv", "recv_into"):
            patch.setattr(socket.socket, name, watched(name))
        yield
    assert touched == [], f"the publishing thread used its socket: {touched}"


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
        self.heard: queue.Queue[tuple[Notice, Topic | None]] = queue.Queue()
        self.states: queue.Queue[bool] = queue.Queue()

    def listen(self, bus: Bus, *topics: Topic) -> Listener:
        bus.listen(lambda notice, topic: self.heard.put((notice, topic)), self.states.put)
        assert self.states.get(timeout=WAIT) is True
        bus.subscribe(topics)
        assert bus.confirmed(bus.marks(topics), WAIT)
        return self

    def notice(self) -> Notice:
        return self.heard.get(timeout=WAIT)[0]

    def state(self) -> bool:
        return self.states.get(timeout=WAIT)

    @property
    def notices(self) -> queue.Queue[tuple[Notice, Topic | None]]:
        return self.heard

    def everything(self, quiet: float = 0.3) -> list[tuple[Notice, Topic | None]]:
        """What it heard until nothing more came for `quiet` seconds."""
        found = []
        while True:
            try:
                found.append(self.heard.get(timeout=quiet))
            except queue.Empty:
                return found


def channel(name: str) -> str:
    return f"test:{name}:{time.monotonic_ns()}"  # no other test's notices


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == buses.__name__ and r.levelno >= logging.WARNING
    ]


def test_every_notice_reaches_the_listeners_of_its_topics_and_no_other(
    server: RedisServer,
) -> None:
    prefix = f"t{time.monotonic_ns()}:"
    game = Listener().listen(Bus(server.url, None, prefix=prefix), Topic(GAME, "game0001"))
    bob = Topic(PLAYER, "bob"), Topic(SESSIONS, "bob")
    bobs = Listener().listen(Bus(server.url, None, prefix=prefix), *bob)
    stranger = Listener().listen(Bus(server.url, None, prefix=prefix), Topic(PLAYER, "carol"))
    publisher = Bus(server.url, None, prefix=prefix)  # another instance
    for notice in NOTICES:
        publisher.publish(notice)
    assert game.everything() == [(NOTICES[0], Topic(GAME, "game0001"))]
    assert bobs.everything() == [(NOTICES[0], bob[0]), (NOTICES[1], bob[0]), (NOTICES[3], bob[1])]
    assert stranger.everything() == []


def test_a_topic_unsubscribed_is_heard_no_more(server: RedisServer) -> None:
    prefix, topic = f"t{time.monotonic_ns()}:", Topic(GAME, "game0001")
    listening = Bus(server.url, None, prefix=prefix)
    heard = Listener().listen(listening, topic)
    publisher = Bus(server.url, None, prefix=prefix)
    publisher.publish(NOTICES[0])
    assert heard.notice() == NOTICES[0]
    listening.unsubscribe([topic])
    publisher.publish(NOTICES[0])
    listening.subscribe([Topic(GAME, "game0002")])  # confirmed after the unsubscription
    assert listening.confirmed(listening.marks([Topic(GAME, "game0002")]), WAIT)
    assert heard.everything() == []
    assert listening.received["sharded"] == 1  # the bus itself no longer sends it here


def test_what_is_published_once_a_subscription_is_confirmed_is_heard(
    server: RedisServer,
) -> None:
    """The stream's read after `open` misses nothing: confirmed means the bus delivers."""
    prefix = f"t{time.monotonic_ns()}:"
    listening = Bus(server.url, None, prefix=prefix)
    heard = Listener().listen(listening)
    raw = redis.Redis.from_url(server.url)
    try:
        for n in range(50):
            topic = Topic(GAME, f"game{n:04}")
            listening.subscribe([topic])
            assert listening.confirmed(listening.marks([topic]), WAIT)
            raw.spublish(listening.channel(topic), notices.encode(Changed(topic.name, 1, ())))
            assert heard.heard.get(timeout=WAIT) == (Changed(topic.name, 1, ()), topic)
    finally:
        raw.close()


def test_a_subscription_asked_of_a_bus_that_is_down_is_not_confirmed(tmp_path: Path) -> None:
    own = RedisServer(tmp_path)
    own.start()
    try:
        listening = Bus(own.url, None, prefix="t:")
        heard = Listener().listen(listening)
        own.stop()
        assert heard.state() is False
        listening.subscribe([Topic(GAME, "game0001")])  # never raises
        assert not listening.confirmed(listening.marks([Topic(GAME, "game0001")]), 0.5)
    finally:
        own.stop()


# -- a deploy: the release before publishes and listens on one classic channel only -----------


def test_during_a_deploy_old_and_new_instances_hear_each_other_once(server: RedisServer) -> None:
    old_channel, prefix = channel("old"), f"t{time.monotonic_ns()}:"
    new = Listener().listen(Bus(server.url, old_channel, prefix=prefix), Topic(PLAYER, "bob"))
    raw = redis.Redis.from_url(server.url)
    old = raw.pubsub()  # an old instance's stream process: the classic channel, all of it
    try:
        old.subscribe(old_channel)
        assert old.get_message(timeout=WAIT)["type"] == "subscribe"
        Bus(server.url, old_channel, prefix=prefix).publish(NOTICES[0])  # a new web worker
        heard_old = old.get_message(timeout=WAIT)
        assert notices.decode(heard_old["data"]) == NOTICES[0]  # as the old release decodes
        raw.publish(old_channel, notices.encode(NOTICES[1]))  # an old web worker
        assert new.everything() == [(NOTICES[0], Topic(PLAYER, "bob")), (NOTICES[1], None)]
    finally:
        old.close()
        raw.close()


def test_the_next_release_neither_publishes_nor_listens_on_the_old_channel(
    server: RedisServer,
) -> None:
    old_channel, prefix = channel("gone"), f"t{time.monotonic_ns()}:"
    new = Listener().listen(Bus(server.url, None, prefix=prefix), Topic(PLAYER, "bob"))
    raw = redis.Redis.from_url(server.url)
    old = raw.pubsub()
    try:
        old.subscribe(old_channel)
        assert old.get_message(timeout=WAIT)["type"] == "subscribe"
        Bus(server.url, None, prefix=prefix).publish(NOTICES[0])
        raw.publish(old_channel, notices.encode(NOTICES[1]))
        assert new.everything() == [(NOTICES[0], Topic(PLAYER, "bob"))]
        only = old.get_message(timeout=WAIT)  # the old channel carries the old one's alone
        assert notices.decode(only["data"]) == NOTICES[1]
        assert old.get_message(timeout=0.3) is None
    finally:
        old.close()
        raw.close()


def test_a_game_crosses_signed_and_only_instances_holding_a_key_take_it(
    server: RedisServer,
) -> None:
    prefix, new, old = f"t{time.monotonic_ns()}:", notices.key("new secret"), notices.key("old")
    game = Game.invitation("game0001", "alice", "bob", "2026-01-01T00:00:00Z")
    topic = Topic(GAME, game.id)
    rotated = Listener().listen(Bus(server.url, None, (new, old), prefix), topic)
    stranger = Listener().listen(Bus(server.url, None, (notices.key("another"),), prefix), topic)
    Bus(server.url, None, keys=(old,), prefix=prefix).publish(notices.changed(game))
    assert rotated.notice() == notices.changed(game)
    assert stranger.notice() == replace(notices.changed(game), game=None)  # it must read


def test_anything_else_on_the_channels_is_ignored(server: RedisServer) -> None:
    old_channel, prefix = channel("junk"), f"t{time.monotonic_ns()}:"
    listening = Bus(server.url, old_channel, prefix=prefix)
    heard = Listener().listen(listening, Topic(GAME, "game0001"))
    raw = redis.Redis.from_url(server.url)
    try:
        for junk in (b"", b"nonsense", b"\xff\xfe", b"[1, 2]", b'{"game": 5}', b"null"):
            raw.publish(old_channel, junk)
            raw.spublish(listening.channel(Topic(GAME, "game0001")), junk)
    finally:
        raw.close()
    Bus(server.url, old_channel, prefix=prefix).publish(NOTICES[0])
    assert heard.notice() == NOTICES[0]  # the first real notice, nothing before it
    assert heard.notices.empty() and heard.states.empty()  # and the subscription is still up


def test_publish_to_a_bus_that_is_not_there_never_raises_nor_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = Bus(redis_server.url(processes.free_port()), channel("dead"))  # nothing listens
    with caplog.at_level(logging.INFO, logger=buses.__name__):
        with never_waits():
            for n in range(100):
                dead.publish(Changed(f"game{n:04}", n, ("alice", "bob")))
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
        with never_waits():
            for n in range(100):  # far more than WAITING, and none of them is sent
                slow.publish(Changed(f"game{n:04}", n, ("alice", "bob")))
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
        bus = Bus(own.url, channel("outage"))
        heard = Listener().listen(bus, Topic(GAME, "game0001"))
        with caplog.at_level(logging.INFO, logger=buses.__name__):
            own.stop()
            assert heard.state() is False
            with never_waits():
                for n in range(20):
                    bus.publish(Changed(f"game{n:04}", n, ("alice",)))  # while it is down
            time.sleep(0.5)  # several attempts to subscribe again fail meanwhile
            assert len(warnings_of(caplog)) == 1, warnings_of(caplog)
            own.start()  # back, on the same port
            assert eventually(lambda: _next_true(heard))
            # Its streams ended with the outage; a new one subscribes on the new connection.
            bus.subscribe([Topic(GAME, "game0001")])
            assert bus.confirmed(bus.marks([Topic(GAME, "game0001")]), WAIT)
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
        if heard.notices.get(timeout=WAIT)[0] == wanted:
            return True
    return False
