"""A frozen bus is noticed by its silence (tictactoe/adapters/bus.py), on a real redis-server.

SIGSTOP freezes the server as a failover or a network partition would: connections stay open,
nothing is answered, nothing raises. The subscription must still say "down" within 5 s (the
issue's bound), refuse to say "up" while the bus is frozen, and say "up" once it answers.

The buses here hold sharded subscriptions only (no old channel, as the next release runs):
PING must be answered on a connection in that mode too, or a quiet bus would look frozen.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.streams import WAIT, RedisServer
from tictactoe.adapters import bus as buses
from tictactoe.adapters.bus import Bus
from tictactoe.rules.notices import GAME, Changed, Topic

NOTICED_WITHIN = 5.0  # seconds from the freeze to "down": issue 28's bound


@pytest.fixture
def own(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test's own: it is frozen and thawed here."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buses, "BACKOFF", (0.05, 0.1, 0.2))  # subscribe again soon


def sharded(server: RedisServer) -> Bus:
    """A bus of its own channels, holding no classic subscription."""
    return Bus(server.url, None, prefix=f"test{time.monotonic_ns()}:")


def listening(bus: Bus) -> tuple[queue.Queue[object], queue.Queue[bool]]:
    """Subscribe (to game0001); return the queues of what it hears and of its states."""
    heard: queue.Queue[object] = queue.Queue()
    states: queue.Queue[bool] = queue.Queue()
    bus.listen(lambda notice, topic: heard.put(notice), states.put)
    assert states.get(timeout=WAIT) is True
    follow(bus)
    return heard, states


def follow(bus: Bus) -> None:
    topics = [Topic(GAME, "game0001")]
    bus.subscribe(topics)
    assert bus.confirmed(bus.marks(topics), WAIT)


def next_state(states: queue.Queue[bool], wait: float) -> bool | None:
    try:
        return states.get(timeout=wait)
    except queue.Empty:
        return None


def test_a_frozen_bus_is_down_within_five_seconds_and_up_once_it_thaws(
    own: RedisServer,
) -> None:
    bus = sharded(own)
    heard, states = listening(bus)
    time.sleep(1.5)  # a quiet subscription: it has been asking the bus, and heard back

    own.pause()
    frozen = time.monotonic()
    try:
        assert next_state(states, NOTICED_WITHIN + 1) is False
        took = time.monotonic() - frozen
        assert took < NOTICED_WITHIN, took
        assert bus.failing
        # Attempts to subscribe again connect (the kernel takes them) but are never confirmed:
        # none of them may say "up" while the bus is frozen.
        assert next_state(states, 4.0) in (None, False)
        assert True not in list(states.queue)
    finally:
        own.resume()
    assert up_within(states, 15), "the subscription did not come back once the bus answered"
    assert not bus.failing
    follow(bus)  # a new connection: the streams that come back subscribe again
    notice = Changed("game0001", 2, ("alice", "bob"))
    bus.publish(notice)
    assert heard.get(timeout=WAIT) == notice  # notices flow again


def test_a_bus_frozen_from_the_start_is_never_reported_up(own: RedisServer) -> None:
    own.pause()
    try:
        states: queue.Queue[bool] = queue.Queue()
        sharded(own).listen(lambda notice, topic: None, states.put)
        assert next_state(states, 4.0) is False  # its first attempt falls silent
        time.sleep(2.0)  # and the next ones too
        assert True not in list(states.queue)
    finally:
        own.resume()
    assert up_within(states, 15), "never up after the bus thawed"


def up_within(states: queue.Queue[bool], wait: float) -> bool:
    """True once the subscription says "up" within `wait` seconds."""
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        if next_state(states, left):
            return True
    return False


def test_a_busy_subscription_is_not_taken_for_a_silent_one(own: RedisServer) -> None:
    """Notices count as the bus's word: a steady flow keeps the subscription up."""
    bus = sharded(own)
    heard, states = listening(bus)
    sent = 0
    ends = time.monotonic() + 2 * buses.SILENT
    while time.monotonic() < ends and sent < 200:
        bus.publish(Changed("game0001", sent, ("alice",)))
        sent += 1
        time.sleep(0.03)
    assert next_state(states, 0.5) is None  # never down
    got = 0
    while got < sent:
        heard.get(timeout=WAIT)
        got += 1


def test_a_quiet_sharded_subscription_with_no_topic_stays_up(own: RedisServer) -> None:
    """No stream open, nothing published: its PINGs are answered, so it is not silent."""
    bus = sharded(own)
    states: queue.Queue[bool] = queue.Queue()
    bus.listen(lambda notice, topic: None, states.put)
    assert states.get(timeout=WAIT) is True
    follow(bus)
    bus.unsubscribe([Topic(GAME, "game0001")])  # the last stream closed
    assert next_state(states, 2 * buses.SILENT) is None  # never down
