"""The open streams of this process, and the notices that feed them. No Flask here.

One bus connection per process feeds every stream (tictactoe/adapters/bus.py), and it listens
to the topics this process's streams need, no more: a game's stream needs its game's topic, a
player's own stream their player topic, and either needs the player's sessions. The hub counts
the streams that need each topic: the first one subscribes, the last one to close unsubscribes.
`open` returns once the bus confirmed the stream's subscriptions (CONFIRM seconds at most, else
Down: the page polls), so a change made after it returns reaches the stream: the stream reads
its first state after `open`, and misses nothing between the two.

A notice that a game changed carries the game as written (signed: tictactoe/rules/notices.py);
the hub hands it to each stream that hears the topic it came on (a game's stream, its game's;
a player's own stream, their player topic) and wants the game, without a read. One heard on
the old single channel (a previous release's instance, during a deploy) goes to every stream
that wants it. A notice that carries no game (from an older release, or unsigned) makes the
hub read the game once, from the Games table. A game that is gone reaches its players' streams
as such. A notice that sessions were revoked closes their streams. While the subscription is
down no stream is open: they are closed, told why (`down`: the pages poll), and new ones are
refused until it is back.

Out of order: two web workers may publish one game's changes in either order, and a read may
come back late. A stream never sends a version older than one it sent (`Stream.fresh`), nor,
across the hub, one older than the newest this process handed out (`Hub._newest`): otherwise a
player's own stream, whose memory of games is bounded, could forget a game and then send an
older state after a newer one, so the page would end on the older state and lose the change.

A page may name its browser tab (a random id it keeps for the tab's life): a new stream from
the same player and tab replaces the one before it, which is told so (`replaced`) and ends.
So a stream a page left gives its slot back as the tab's next page opens its own, not when
a heartbeat to the gone page fails, and clicking between pages never reaches the limit.

Presence: each game's stream counts its player as here while it is open (tictactoe/services/
attendance.py, in the bus's Valkey); a HereChanged notice on the game's topic, or the periodic
refresh, hands who is here to the game's streams (`Attended`).

A stream holds at most QUEUE events it has not sent yet: one that falls that far behind (a
slow or stalled client) is closed, and its page reconnects to a fresh state.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from tictactoe.adapters import metrics
from tictactoe.adapters.bus import Bus
from tictactoe.adapters.presence import Presence
from tictactoe.rules.board import Game
from tictactoe.rules.notices import SESSIONS, Changed, Gone, HereChanged, Notice, Revoked, Topic
from tictactoe.rules.presence import Here
from tictactoe.rules.refusals import Refused
from tictactoe.services.attendance import Attendance
from tictactoe.services.stream import (
    DOWN,
    QUEUE,
    REPLACED,
    Attended,
    Closed,
    Event,
    Stream,
    end,
)
from tictactoe.store import NotFound, StoreError

__all__ = ["DOWN", "QUEUE", "REPLACED", "Attended", "Closed", "Down", "Event", "Hub", "Stream"]

log = logging.getLogger(__name__)

MAX_PER_PLAYER = 8  # open streams per player in one process (one stream process an instance)
READERS = 8  # notices whose game is read at once
CONFIRM = 2.0  # seconds a new stream waits for the bus to confirm its subscriptions
NEWEST = 1000  # games whose newest state this process keeps (a few MB at most)


class TooManyStreams(Refused):
    """The player has MAX_PER_PLAYER streams open here already (429)."""


class Down(Refused):
    """Push is off, or the bus is down: poll instead (503)."""

    status = 503


class Hub:
    """The streams of this process, fed by the bus with the topics they need."""

    def __init__(
        self, bus: Bus, read: Callable[[str, int], Game], presence: Presence | None = None
    ) -> None:
        self._bus = bus
        # Who has each game open (None: presence off): kept by a thread of its own.
        self.attendance = Attendance(presence, bus.publish, self._attended) if presence else None
        self._read = read  # (game id, at least this version) -> the game; NotFound if gone
        self._streams: set[Stream] = set()
        self._needed: Counter[Topic] = Counter()  # topic -> open streams that need it
        self._lock = threading.Lock()
        # Held while a read game is checked against what each stream sent, and queued: two
        # readers of one game's changes must not overtake each other (or both send a version).
        self._sending = threading.RLock()
        self._newest: OrderedDict[str, Game] = OrderedDict()  # game id -> newest state sent
        self._reading: dict[tuple[str, int], list[Stream]] = {}  # reads under way, for whom
        self._up = False
        self._listening = False
        self._told = threading.Event()
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="push-read")

    def open(
        self, player: str, epoch: int, game_id: str | None = None, tab: str | None = None
    ) -> Stream:
        """Open a stream for `player` (of one game, or their own) in browser tab `tab`,
        replacing that tab's stream, once the bus listens for it; raise Down or TooManyStreams."""
        self._listen()
        with self._lock:
            if not self._up:
                raise Down("Live updates are not available right now; the page polls.", 2)
            replaced = [s for s in self._streams if tab and s.player == player and s.tab == tab]
            if sum(s.player == player for s in self._streams) - len(replaced) >= MAX_PER_PLAYER:
                raise TooManyStreams(
                    f"At most {MAX_PER_PLAYER} live pages per player; close one.", 5
                )
            stream = Stream(player, epoch, game_id, tab)
            self._remember([stream])  # before the replaced let go: their topics stay
            self._forget(replaced)
            marks = self._bus.marks(stream.topics)
        for old in replaced:
            end(old, "another page of its tab opened", REPLACED)
        if not self._bus.confirmed(marks, CONFIRM):
            self.close(stream)
            raise Down("Live updates are not available right now; the page polls.", 2)
        if self.attendance is not None:  # confirmed: the stream hears who else comes
            self.attendance.came(stream)
        return stream

    def close(self, stream: Stream) -> None:
        """Forget `stream` (its request ended)."""
        with self._lock:
            self._forget([stream])

    def close_all(self, reason: str, event: str | None = None) -> None:
        """End every stream (the process is stopping, or the bus went down), telling `event`."""
        with self._lock:
            streams = list(self._streams)
            self._forget(streams)
        for stream in streams:
            end(stream, reason, event)

    def count(self) -> int:
        with self._lock:
            return len(self._streams)

    def topics(self) -> set[Topic]:
        """The topics this process listens to now (for the tests and the bench)."""
        with self._lock:
            return set(self._needed)

    def bus_down(self) -> bool:
        """True while this process cannot publish, or its subscription is down."""
        with self._lock:
            unsubscribed = self._listening and not self._up
        return unsubscribed or self._bus.failing

    def _remember(self, streams: Iterable[Stream]) -> None:
        """Add `streams`, subscribing to the topics no open stream needed (lock held)."""
        for stream in streams:
            self._streams.add(stream)
            new = [t for t in stream.topics if self._needed[t] == 0]
            self._needed.update(stream.topics)
            self._bus.subscribe(new)

    def _forget(self, streams: Iterable[Stream]) -> None:
        """Drop `streams`, unsubscribing from the topics nobody needs now (lock held)."""
        for stream in streams:
            if stream not in self._streams:
                continue  # closed twice (its response, and its generator's end)
            self._streams.discard(stream)
            if self.attendance is not None:
                self.attendance.left(stream)  # (queued: never waits on the bus)
            self._needed.subtract(stream.topics)
            done = [t for t in stream.topics if self._needed[t] <= 0]
            for topic in done:
                del self._needed[topic]
            self._bus.unsubscribe(done)

    def _listen(self) -> None:
        with self._lock:
            start, self._listening = not self._listening, True
        if start:
            self._bus.listen(self._on_notice, self._on_state)
        self._told.wait(1.0)  # the first streams wait for the subscription, briefly

    def _on_state(self, up: bool) -> None:
        with self._lock:
            self._up = up
        if not up:
            self.close_all("the bus went down", DOWN)
        self._told.set()  # the subscription's first word, up or down, has come

    def _on_notice(self, notice: Notice, topic: Topic | None = None) -> None:
        if isinstance(notice, Revoked):
            if topic is None or topic == Topic(SESSIONS, notice.player):
                self._revoke(notice)
            return
        if isinstance(notice, HereChanged):
            if self.attendance is not None:
                self.attendance.heard(notice.game_id)
            return
        with self._lock:
            watching = [
                s
                for s in self._streams
                if s.hears(topic) and s.wants(notice.game_id, notice.players)
            ]
        if not watching:
            return
        if isinstance(notice, Gone):
            self._deliver(watching, Event(notice.game_id, None))
        elif notice.game is not None:
            self._send(notice.game, watching)
        else:
            self._read_for(notice, watching)

    def _read_for(self, notice: Changed, watching: list[Stream]) -> None:
        """Send what the table holds: one read however many topics brought the notice."""
        with self._sending:
            known = self._newest.get(notice.game_id)
            if known is not None and known.version >= notice.version:
                # Read (or carried) already: sent again to streams that have not had it (one
                # notice, heard on several topics), or a late notice, overtaken: nothing.
                if known.version == notice.version:
                    self._send(known, watching)
                return
            waiting = self._reading.setdefault((notice.game_id, notice.version), [])
            waiting.extend(watching)
            if len(waiting) > len(watching):
                return  # its read is under way: it will send to these streams too
        self._readers.submit(self._fetch, notice)

    def _fetch(self, notice: Changed) -> None:
        key = (notice.game_id, notice.version)
        try:
            game = self._read(notice.game_id, notice.version)
        except NotFound:
            with self._sending:
                watching = self._reading.pop(key, [])
            self._deliver(watching, Event(notice.game_id, None))
            return
        except StoreError as err:  # the next notice, reconnect or backstop poll heals it
            with self._sending:
                self._reading.pop(key, None)
            log.warning("Could not read game %s for its streams: %s", notice.game_id, err)
            return
        with self._sending:
            self._send(game, self._reading.pop(key, []))

    def _send(self, game: Game, watching: list[Stream]) -> None:
        with self._sending:
            known = self._newest.get(game.id)
            if known is not None and known.version > game.version:
                return  # overtaken: a newer state of this game went out already
            self._newest[game.id] = game
            self._newest.move_to_end(game.id)
            if len(self._newest) > NEWEST:
                self._newest.popitem(last=False)
            self._deliver([s for s in watching if s.fresh(game)], Event(game.id, game))

    def _attended(self, here: Here) -> None:
        """Hand who is here to the streams of that game in this process."""
        with self._lock:
            watching = [s for s in self._streams if s.game_id == here.game_id]
        self._deliver(watching, Attended(here))

    def _deliver(self, streams: list[Stream], event: Event | Attended) -> None:
        for stream in streams:
            try:
                stream.events.put_nowait(event)
            except queue.Full:
                metrics.count(metrics.NOTICES_DROPPED)
                self.close(stream)
                end(stream, "fell behind")
                continue
            if stream.events.full():  # the last place is kept for Closed
                self.close(stream)
                end(stream, "fell behind")

    def _revoke(self, notice: Revoked) -> None:
        with self._lock:
            ended = [
                s
                for s in self._streams
                if s.player == notice.player and (notice.epoch is None or s.epoch < notice.epoch)
            ]
            self._forget(ended)
        for stream in ended:
            end(stream, "the session ended")
