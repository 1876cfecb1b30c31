"""The push bus: notices between instances on Redis or Valkey pub/sub ([push].url).

DynamoDB is the record; the bus says "this changed", with the game as written, signed with
`keys[0]` (notices signed with none of `keys` arrive without it: tictactoe/rules/notices.py).

Publishing never fails and never waits: `publish` puts the notice on a bounded queue that one
thread per process sends, with short timeouts. When the bus is down or slow the notices are
dropped (the pages heal at their next event, reconnect or backstop poll) and the failure is
logged once, until the bus answers again.

Listening is one subscription per process, on one channel: `listen` starts a thread that
calls `on_notice` for every notice and `on_state(True | False)` when the subscription comes
up or goes down, reconnecting with a backoff for as long as the process lives. Up means the
bus confirmed the subscription; down means an error, or SILENT seconds without a word from
the bus while it is asked (PING) every PING_EVERY seconds of quiet: a frozen or partitioned
bus keeps its connection open and raises nothing, so only its silence tells.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

import redis
from redis.backoff import NoBackoff
from redis.client import PubSub
from redis.exceptions import RedisError
from redis.retry import Retry

from tictactoe.adapters import metrics
from tictactoe.rules import notices
from tictactoe.rules.notices import Notice

log = logging.getLogger(__name__)

CHANNEL = "tictactoe:notices"
WAITING = 1000  # notices queued for sending at most; more are dropped
TIMEOUT = 0.5  # seconds for a connect or a publish: a slow bus must not back the queue up
IDLE_CHECK = 5  # seconds between the publishing connection's health checks
PING_EVERY = 1.0  # seconds of quiet on the subscription before it asks the bus (PING)
SILENT = 3.0  # seconds without a word from the bus (a reply, a notice): the bus is down
BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)  # seconds between attempts to subscribe again


class Bus:
    """Publish and receive notices on one Redis/Valkey channel."""

    def __init__(self, url: str, channel: str = CHANNEL, keys: tuple[bytes, ...] = ()) -> None:
        self.url = url
        self._keys = keys  # sign with the first, accept any (a rotated-out key still reads)
        self._channel = channel
        self._outbox: queue.Queue[str] = queue.Queue(WAITING)
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()
        self._failing = False  # logged once per outage

    def publish(self, notice: Notice) -> None:
        """Queue `notice` for every instance; never raises, never blocks."""
        self._start_sender()
        try:
            self._outbox.put_nowait(notices.encode(notice, self._keys[0] if self._keys else None))
        except queue.Full:
            metrics.count(metrics.NOTICES_DROPPED)
            self._failed("too many notices are waiting to be sent")

    def listen(
        self, on_notice: Callable[[Notice], None], on_state: Callable[[bool], None]
    ) -> threading.Thread:
        """Start the subscription's thread (see the module's docstring); return it."""
        thread = threading.Thread(
            target=self._subscribe, args=(on_notice, on_state), name="push-bus", daemon=True
        )
        thread.start()
        return thread

    def _start_sender(self) -> None:
        with self._lock:  # started on first use, so after gunicorn forked this worker
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._send, name="push-send", daemon=True)
                self._sender.start()

    def _send(self) -> None:
        client = self._client(TIMEOUT)
        while True:
            text = self._outbox.get()
            try:
                client.publish(self._channel, text)
            except (RedisError, OSError) as err:
                metrics.count(metrics.NOTICES_DROPPED)
                self._failed(err)
            else:
                self._recovered()

    def _subscribe(
        self, on_notice: Callable[[Notice], None], on_state: Callable[[bool], None]
    ) -> None:
        failures = 0
        while True:
            # No health checks of redis-py's own here: their replies are hidden from us, and
            # it is the replies that say the bus is alive.
            pubsub = self._client(SILENT, health_checks=False).pubsub()
            try:
                pubsub.subscribe(self._channel)
                _heard(pubsub, "subscribe")  # only a confirmed subscription is up
                on_state(True)
                failures = 0
                self._recovered()
                _follow(pubsub, lambda data: self._take(data, on_notice))
            except (RedisError, OSError) as err:
                self._failed(err)
            finally:
                on_state(False)
                try:
                    pubsub.close()
                except (RedisError, OSError):
                    pass
            time.sleep(BACKOFF[min(failures, len(BACKOFF) - 1)])
            failures += 1

    def _take(self, data: bytes, on_notice: Callable[[Notice], None]) -> None:
        notice = notices.decode(data, self._keys)
        if notice is not None:
            on_notice(notice)

    def _client(self, read_timeout: float, health_checks: bool = True) -> redis.Redis:
        # No retries inside a call: a notice that could not go is dropped, and a frozen bus
        # costs the sender one timeout per notice, not several.
        return redis.Redis.from_url(
            self.url,
            socket_connect_timeout=TIMEOUT,
            socket_timeout=read_timeout,
            health_check_interval=IDLE_CHECK if health_checks else 0,
            retry=Retry(NoBackoff(), 0),
        )

    @property
    def failing(self) -> bool:
        """True from a failed publish or subscription until the bus answers again."""
        return self._failing

    def _failed(self, why: object) -> None:
        with self._lock:
            first, self._failing = not self._failing, True
        if first:
            metrics.count(metrics.BUS_OUTAGES)
            log.warning("The push bus is not answering (%s); pages fall back to polling", why)

    def _recovered(self) -> None:
        with self._lock:
            back, self._failing = self._failing, False
        if back:
            log.info("The push bus answers again")


class Silent(RedisError):
    """The bus said nothing for SILENT seconds, though asked: frozen, or cut off."""


def _heard(pubsub: PubSub, kind: str) -> None:
    """Wait up to SILENT seconds for a message of `kind` (the subscription's confirmation)."""
    deadline = time.monotonic() + SILENT
    while (left := deadline - time.monotonic()) > 0:
        message = pubsub.get_message(timeout=left)
        if message is not None and message.get("type") == kind:
            return
    raise Silent(f"no {kind} confirmation within {SILENT:g} s")


def _follow(pubsub: PubSub, on_message: Callable[[bytes], None]) -> None:
    """Pass each published message on until the bus fails or falls silent (raises then)."""
    heard = time.monotonic()
    while True:
        message = pubsub.get_message(timeout=PING_EVERY)
        now = time.monotonic()
        if message is not None:
            heard = now  # any word counts: a notice, a pong, a confirmation
            if message.get("type") in ("message", "smessage"):
                on_message(message["data"])
            continue
        if now - heard >= SILENT:
            raise Silent(f"no answer to PING within {SILENT:g} s")
        pubsub.ping()  # sent only: the pong comes back as a message, if the bus is there
