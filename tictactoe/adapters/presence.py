"""Presence in the push bus's Valkey: who has a game's page open (a stream on it), anywhere.

Never in DynamoDB: a heartbeat's write there would cost more than the game. Two keys a game,
both named with the game's id as a hash tag, so one command may touch both on a cluster
(ElastiCache Serverless runs cluster mode: keys of one command must share a hash slot; "Redis
OSS cluster specification", hash tags: https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/):

    tt:here:{<game>}   sorted set: "<player>|<stream>" -> when the entry lapses (epoch s)
    tt:last:{<game>}   hash: player -> when they last had the game open (epoch s)

A stream process adds its streams' entries, refreshes them every third of `seconds` and
removes them as the streams close. An instance that dies stops refreshing: its entries lapse
within `seconds`, and its people count as gone. Both keys expire KEEP seconds after the last
write, so the games nobody opens again leave nothing behind.

Every call has short timeouts and never raises: a bus that does not answer reads as unknown
(None), and the reader falls back to what holds without presence (the turn timeout). After a
failure no call is tried for QUIET seconds, so a dead bus costs a request nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from tictactoe.rules.presence import Here

log = logging.getLogger(__name__)

PREFIX = "tt:"
SECONDS = 10  # an entry's life without a refresh: a dead instance's people are gone by then
KEEP = 4 * 24 * 3600  # a game's keys outlive its turn timeout (3 days), then go
TIMEOUT = 0.5  # seconds for a connect or a command
QUIET = 5.0  # seconds without trying, after a failure

Entry = tuple[str, str, str]  # (game id, player, stream id)


class Presence:
    """Write and read who has each game open, in the Valkey at `url`."""

    def __init__(self, url: str, seconds: float = SECONDS, prefix: str = PREFIX) -> None:
        self.seconds = seconds
        self._prefix = prefix
        self._client = redis.Redis.from_url(
            url,
            socket_connect_timeout=TIMEOUT,
            socket_timeout=TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def come(self, entries: Iterable[Entry], refresh: bool = False) -> bool:
        """Add `entries` (streams that opened), or only push back their lapse (`refresh`, for
        streams still open); False if the bus did not answer.

        A refresh runs for every open stream every third of `seconds`, so it is the bus's
        bill for presence (ElastiCache Serverless charges per command, docs/cost.md): two
        commands an entry. The sweep of lapsed entries and the keys' expiry, which need doing
        only once in a while, ride on the arrivals.
        """
        now = time.time()
        batch = self._client.pipeline(transaction=False)
        for game_id, player, stream_id in entries:
            here, last = self._keys(game_id)
            if not refresh:
                batch.zremrangebyscore(here, "-inf", now)  # the lapsed: dead instances' entries
            batch.zadd(here, {f"{player}|{stream_id}": now + self.seconds})
            batch.hset(last, player, repr(now))
            if not refresh:
                batch.expire(here, KEEP)
                batch.expire(last, KEEP)
        return self._run(batch) is not None

    def go(self, entries: Iterable[Entry]) -> bool:
        """Remove `entries` (closed streams), noting when their people were last here."""
        now = time.time()
        batch = self._client.pipeline(transaction=False)
        for game_id, player, stream_id in entries:
            here, last = self._keys(game_id)
            batch.zrem(here, f"{player}|{stream_id}")
            batch.hset(last, player, repr(now))
            batch.expire(last, KEEP)
        return self._run(batch) is not None

    def read(self, game_id: str) -> Here | None:
        """Return who has `game_id` open now; None when the bus does not answer."""
        found = self.read_all([game_id])
        return found[0] if found else None

    def read_all(self, game_ids: list[str]) -> list[Here]:
        """Return who has each of `game_ids` open now, in one round trip; [] when the bus
        does not answer."""
        now = time.time()
        batch = self._client.pipeline(transaction=False)
        for game_id in game_ids:
            here, last = self._keys(game_id)
            batch.zrangebyscore(here, now, "+inf")
            batch.hgetall(last)
        replies = self._run(batch) if game_ids else None
        if replies is None:
            return []
        found = []
        for game_id, members, times in zip(game_ids, replies[::2], replies[1::2], strict=True):
            assert isinstance(members, list) and isinstance(times, dict)
            people = frozenset(m.decode().rsplit("|", 1)[0] for m in members)
            found.append(Here(game_id, people, {p.decode(): float(t) for p, t in times.items()}))
        return found

    def _keys(self, game_id: str) -> tuple[str, str]:
        return f"{self._prefix}here:{{{game_id}}}", f"{self._prefix}last:{{{game_id}}}"

    def _run(self, batch: redis.client.Pipeline) -> list[object] | None:
        with self._lock:
            if time.monotonic() < self._quiet_until:
                return None
        try:
            replies: list[object] = batch.execute()
        except (RedisError, OSError, ValueError) as err:
            with self._lock:
                first = self._quiet_until == 0.0
                self._quiet_until = time.monotonic() + QUIET
            if first:
                log.warning("Presence is unknown: the push bus is not answering (%s)", err)
            return None
        with self._lock:
            if self._quiet_until:
                log.info("Presence is known again")
            self._quiet_until = 0.0
        return replies
