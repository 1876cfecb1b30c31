"""The push bus: notices between instances on Redis or Valkey sharded pub/sub ([push].url).

DynamoDB is the record; the bus says "this changed", with the game as written, signed with
`keys[0]` (notices signed with none of `keys` arrive without it: tictactoe/rules/notices.py).

Channels follow the watchers: a notice goes out (SPUBLISH) on one channel per topic
(notices.topics: its game, each of its players; a player's sessions), and a stream process
listens (SSUBSCRIBE) only to the topics its open streams need, as the hub asks (`subscribe`,
`unsubscribe`: the hub counts the streams). Sharded, because classic pub/sub in a cluster
copies every message to every shard; ElastiCache Serverless recommends sharded pub/sub and
runs classic pub/sub on it underneath ("Overall best practices - Amazon ElastiCache", Use
sharded pub/sub: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/WorkingWithRedis.html);
Debian's redis-server 7 serves it unclustered too. Names: PREFIX, kind, ":", id (tt:g:<game>,
tt:p:<player>, tt:s:<player>), no hash tag: each command names one channel, so no two need
one slot, and a common tag would put every channel on one shard.

One release of overlap with the single channel before (`legacy`, CHANNEL): old instances
publish and listen there only. So this release also publishes a copy there, marked (old
listeners take it; ours ignore it, having heard the original), and listens there for the old
instances' notices. The next release drops both (legacy=None).

Publishing never fails and never waits: `publish` puts the notice on a bounded queue that one
thread per process sends, with short timeouts. When the bus is down or slow the notices are
dropped (the pages heal at their next event, reconnect or backstop poll) and the failure is
logged once, until the bus answers again.

Listening is one connection per process: `listen` starts a thread that calls
`on_notice(notice, topic)` (topic None: heard on the old channel) and `on_state(True | False)`
as the connection comes up or goes down, reconnecting with a backoff. It holds a channel of
its own (nobody publishes there), so it stays in subscribed mode with no stream open. Up means
the bus confirmed that; down means an error, or SILENT seconds without a word from the bus
while it is asked (PING) every PING_EVERY seconds of quiet: a frozen or partitioned bus keeps
its connection open and raises nothing, so only its silence tells.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

import redis
from redis.backoff import NoBackoff
from redis.client import PubSub
from redis.exceptions import RedisError
from redis.retry import Retry

from tictactoe.adapters import metrics
from tictactoe.adapters.silence import SILENT, follow, heard
from tictactoe.rules import notices
from tictactoe.rules.notices import Notice, Topic

log = logging.getLogger(__name__)

CHANNEL = "tictactoe:notices"  # the single channel of the releases before sharding
PREFIX = "tt:"
WAITING = 1000  # notices queued for sending at most; more are dropped
TIMEOUT = 0.5  # seconds for a connect or a publish: a slow bus must not back the queue up
IDLE_CHECK = 5  # seconds between the publishing connection's health checks
BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)  # seconds between attempts to subscribe again
OWN = "i"  # the kind of a listener's own channel

OnNotice = Callable[[Notice, Topic | None], None]
Marks = dict[str, int]  # channel -> how many subscriptions to it were asked for so far


class Bus:
    """Publish notices on their topics' channels; listen to the topics the hub asks for."""

    def __init__(
        self,
        url: str,
        legacy: str | None = CHANNEL,
        keys: tuple[bytes, ...] = (),
        prefix: str = PREFIX,
    ) -> None:
        self.url = url
        self._keys = keys  # sign with the first, accept any (a rotated-out key still reads)
        self._legacy = legacy
        self._prefix = prefix
        self._outbox: queue.Queue[list[tuple[str, str, bool]]] = queue.Queue(WAITING)
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()
        self._failing = False  # logged once per outage
        # The connection that is up, the channels asked of it, and its confirmations.
        self._subs = threading.Condition()
        self._pubsub: PubSub | None = None
        self._topics: dict[str, Topic] = {}
        self._asked: Counter[str] = Counter()
        self._confirmed: Counter[str] = Counter()
        self._closed = threading.Event()
        self.received: Counter[str] = Counter()  # "sharded" / "legacy": what this one heard

    def close(self) -> None:
        """Stop listening once the connection next fails, without a word (no reconnecting)."""
        self._closed.set()

    def channel(self, topic: Topic) -> str:
        """Return the name of `topic`'s channel."""
        return f"{self._prefix}{topic.kind}:{topic.name}"

    def publish(self, notice: Notice) -> None:
        """Queue `notice` for the instances that watch it; never raises, never blocks."""
        self._start_sender()
        signing = self._keys[0] if self._keys else None
        text = notices.encode(notice, signing)
        sends = [(self.channel(t), text, True) for t in notices.topics(notice)]
        if self._legacy is not None:
            sends.append((self._legacy, notices.encode(notice, signing, copy=True), False))
        try:
            self._outbox.put_nowait(sends)
        except queue.Full:
            metrics.count(metrics.NOTICES_DROPPED)
            self._failed("too many notices are waiting to be sent")

    def listen(self, on_notice: OnNotice, on_state: Callable[[bool], None]) -> threading.Thread:
        """Start the subscription's thread (see the module's docstring); return it."""
        thread = threading.Thread(
            target=self._subscribe, args=(on_notice, on_state), name="push-bus", daemon=True
        )
        thread.start()
        return thread

    def subscribe(self, topics: Iterable[Topic]) -> None:
        """Ask the bus for `topics` (sent at once, in order with `unsubscribe`); see `marks`."""
        with self._subs:
            for topic in topics:
                name = self.channel(topic)
                self._topics[name] = topic
                self._asked[name] += 1
                self._command("ssubscribe", name)  # one channel a command: one slot each

    def unsubscribe(self, topics: Iterable[Topic]) -> None:
        """Stop hearing `topics` (no stream here needs them any more)."""
        with self._subs:
            for topic in topics:
                name = self.channel(topic)
                if self._topics.pop(name, None) is not None:
                    self._command("sunsubscribe", name)

    def marks(self, topics: Iterable[Topic]) -> Marks:
        """Return what `confirmed` must see for the subscriptions asked so far of `topics`."""
        with self._subs:
            return {self.channel(t): self._asked[self.channel(t)] for t in topics}

    def confirmed(self, marks: Marks, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the bus to confirm the subscriptions `marks` count;
        False if it did not (or the connection went down meanwhile)."""
        deadline = time.monotonic() + timeout
        with self._subs:
            pubsub = self._pubsub
            while not all(self._confirmed[name] >= n for name, n in marks.items()):
                left = deadline - time.monotonic()
                if pubsub is None or self._pubsub is not pubsub or left <= 0:
                    return False
                self._subs.wait(left)
            return pubsub is not None

    def _command(self, verb: str, name: str) -> None:
        """Send a (un)subscription on the live connection; a failure is the reader's to see."""
        if self._pubsub is None:
            return
        try:
            getattr(self._pubsub, verb)(name)
        except (RedisError, OSError) as err:
            log.info("Could not %s %s: %s", verb, name, err)

    def _start_sender(self) -> None:
        with self._lock:  # started on first use, so after gunicorn forked this worker
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._send, name="push-send", daemon=True)
                self._sender.start()

    def _send(self) -> None:
        client = self._client(TIMEOUT)
        while True:
            sends = self._outbox.get()
            batch = client.pipeline(transaction=False)  # one round trip for the notice's channels
            for name, text, sharded in sends:
                (batch.spublish if sharded else batch.publish)(name, text)
            try:
                batch.execute()
            except (RedisError, OSError) as err:
                metrics.count(metrics.NOTICES_DROPPED)
                self._failed(err)
            else:
                self._recovered()

    def _subscribe(self, on_notice: OnNotice, on_state: Callable[[bool], None]) -> None:
        failures = 0
        while True:
            # No health checks of redis-py's own here: their replies are hidden from us, and
            # it is the replies that say the bus is alive.
            pubsub = self._client(SILENT, health_checks=False).pubsub()
            try:
                self._connect(pubsub)
                on_state(True)
                failures = 0
                self._recovered()
                follow(pubsub, lambda message: self._take(message, on_notice))
            except (RedisError, OSError) as err:
                if self._closed.is_set():
                    return  # its owner is done with it (the bench, stopping its server)
                self._failed(err)
            finally:
                self._disconnect()
                on_state(False)
                try:
                    pubsub.close()
                except (RedisError, OSError):
                    pass
            time.sleep(BACKOFF[min(failures, len(BACKOFF) - 1)])
            failures += 1

    def _connect(self, pubsub: PubSub) -> None:
        """Subscribe to this listener's own channel (and the old one); wait until confirmed."""
        pubsub.ssubscribe(self.channel(Topic(OWN, secrets.token_urlsafe(9))))
        heard(pubsub, "ssubscribe")  # only a confirmed subscription is up
        if self._legacy is not None:
            pubsub.subscribe(self._legacy)
            heard(pubsub, "subscribe")
        with self._subs:
            self._pubsub = pubsub

    def _disconnect(self) -> None:
        with self._subs:
            self._pubsub = None
            self._topics.clear()
            self._asked.clear()
            self._confirmed.clear()
            self._subs.notify_all()  # whoever waits for a confirmation: it will not come

    def _take(self, message: dict[str, object], on_notice: OnNotice) -> None:
        kind, data, name = message.get("type"), message.get("data"), message.get("channel")
        if isinstance(name, bytes):
            name = name.decode()
        if kind == "ssubscribe":
            with self._subs:
                self._confirmed[str(name)] += 1
                self._subs.notify_all()
        elif kind == "smessage" and isinstance(data, bytes):
            self.received["sharded"] += 1
            with self._subs:
                topic = self._topics.get(str(name))
            notice = notices.decode(data, self._keys)
            if topic is not None and notice is not None:  # (None: just unsubscribed)
                on_notice(notice, topic)
        elif kind == "message" and isinstance(data, bytes):
            self.received["legacy"] += 1
            notice = notices.decode_legacy(data, self._keys)
            if notice is not None:
                on_notice(notice, None)

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
