"""Presence in Valkey (tictactoe/adapters/presence.py) on a real redis-server of this module's
own: who comes and goes, entries that lapse when nobody refreshes them, the last-here time, and
"unknown" while the server is down."""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.streams import RedisServer, running_redis
from tictactoe.adapters import presence as presences
from tictactoe.adapters.presence import Presence
from tictactoe.rules.presence import Here


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("presence")) as running:
        yield running


@pytest.fixture
def presence(server: RedisServer) -> Presence:
    return Presence(server.url, seconds=1)


def read(presence: Presence, game_id: str) -> Here:
    """Who is here (the server answers: never unknown here)."""
    here = presence.read(game_id)
    assert here is not None
    return here


def test_a_page_that_opens_is_here_and_one_that_closes_is_gone(presence: Presence) -> None:
    before = time.time()
    assert presence.come([("g1", "alice", "s1"), ("g1", "carol", "s2")])
    assert read(presence, "g1").people == {"alice", "carol"}
    assert presence.go([("g1", "alice", "s1")])
    here = read(presence, "g1")
    assert here.people == {"carol"}
    assert before <= here.last["alice"] <= time.time()  # when she was last here
    assert read(presence, "another").people == set()


def test_a_player_with_two_pages_open_stays_here_until_both_close(presence: Presence) -> None:
    presence.come([("g2", "bob", "tab1"), ("g2", "bob", "tab2")])
    presence.go([("g2", "bob", "tab1")])
    assert read(presence, "g2").people == {"bob"}
    presence.go([("g2", "bob", "tab2")])
    assert read(presence, "g2").people == frozenset()


def test_an_entry_nobody_refreshes_lapses_and_keeps_its_last_here_time(
    presence: Presence,
) -> None:
    presence.come([("g3", "dave", "s1"), ("g3", "erin", "s2")])
    seen = read(presence, "g3").last["dave"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # erin's instance refreshes; dave's has died
        presence.come([("g3", "erin", "s2")])
        here = read(presence, "g3")
        if "dave" not in here.people:
            break
        time.sleep(0.1)
    assert here.people == {"erin"}
    assert here.last["dave"] == seen  # gone since his last refresh
    assert time.time() - seen >= presence.seconds * 0.9


def test_keys_share_the_game_s_hash_slot_and_expire(server: RedisServer) -> None:
    Presence(server.url).come([("g4", "frank", "s1")])
    client = redis.Redis.from_url(server.url)
    names = sorted(k.decode() for k in client.keys("tt:*{g4}"))
    assert names == ["tt:here:{g4}", "tt:last:{g4}"]  # the hash tag: one slot for both
    assert all(0 < client.ttl(n) <= presences.KEEP for n in names)


def test_a_bus_that_does_not_answer_reads_as_unknown_at_once(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)  # never started: nothing listens on its port
    presence = Presence(server.url)
    assert presence.come([("g5", "gina", "s1")]) is False
    started = time.monotonic()
    assert presence.read("g5") is None  # (quiet after a failure: not even tried)
    assert presence.go([("g5", "gina", "s1")]) is False
    assert time.monotonic() - started < presences.TIMEOUT


def test_many_games_are_read_at_once_each_with_its_own_people(presence: Presence) -> None:
    presence.come([("g6", "hana", "s1"), ("g7", "ivan", "s2"), ("g7", "hana", "s3")])
    found = {h.game_id: h.people for h in presence.read_all(["g6", "g7", "g8"])}
    assert found == {"g6": {"hana"}, "g7": {"ivan", "hana"}, "g8": frozenset()}


def test_a_refresh_keeps_open_pages_here_for_two_commands_an_entry(
    server: RedisServer, presence: Presence
) -> None:
    entries = [("g6", "gina", "s1"), ("g6", "hank", "s2"), ("g7", "gina", "s3")]
    presence.come(entries)
    raw = redis.Redis.from_url(server.url)
    try:
        before = _calls(raw)
        deadline = time.time() + 2 * presence.seconds
        while time.time() < deadline:  # refreshed past the entries' first life: still here
            assert presence.come(entries, refresh=True)
            time.sleep(presence.seconds / 3)
        assert read(presence, "g6").people == {"gina", "hank"}
        used = _calls(raw) - before
    finally:
        raw.close()
    # Each refresh is ZADD and HSET per entry, as the server counts them; the reads above add
    # ZRANGEBYSCORE and HGETALL, which are not refreshes.
    assert used["zadd"] == used["hset"] and used["zadd"] % len(entries) == 0
    assert set(used) <= {"zadd", "hset", "zrangebyscore", "hgetall", "info"}


def _calls(raw: redis.Redis) -> collections.Counter[str]:
    """The server's count of each command run so far (INFO commandstats)."""
    stats = raw.info("commandstats")
    return collections.Counter({k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()})
