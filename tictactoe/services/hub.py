"""The open streams of this process, and the notices that feed them. No Flask here.

One bus subscription per process feeds every stream (tictactoe/adapters/bus.py). A notice that
a game changed carries the game as written (signed: tictactoe/rules/notices.py); the hub hands
it to each stream that watches that game, or that belongs to one of its players, without a
read. A notice that carries no game (from an older release, or unsigned) makes the hub read the
game once, from the Games table. A game that is gone reaches its players' streams as such. A
notice that sessions were revoked closes their streams. While the subscription is down no
stream is open: they are closed, told why (`down`: the pages poll), and new ones are refused
until it is back.

A page may name its browser tab (a random id it keeps for the tab's life): a new stream from
the same player and tab replaces the one before it, which is told so (`replaced`) and ends.
So a stream a page left gives its slot back as the tab's next page opens its own, not when
a heartbeat to the gone page fails, and clicking between pages never reaches the limit.

A stream holds at most QUEUE events it has not sent yet: one that falls that far behind (a
slow or stalled client) is closed, and its page reconnects to a fresh state.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tictactoe.adapters import metrics
from tictactoe.adapters.bus import Bus
from tictactoe.rules.board import Game
from tictactoe.rules.notices import Changed, Gone, Notice, Revoked
from tictactoe.rules.refusals import Refused
from tictactoe.store import NotFound, StoreError

log = logging.getLogger(__name__)

MAX_PER_PLAYER = 8  # open streams per player in one process (one stream process an instance)
QUEUE = 32  # events a stream may fall behind by
READERS = 8  # notices whose game is read at once


class TooManyStreams(Refused):
    """The player has MAX_PER_PLAYER streams open here already (429)."""


class Down(Refused):
    """Push is off, or the bus is down: poll instead (503)."""

    status = 503


@dataclass(frozen=True)
class Event:
    """What a stream sends: a game as it now is, or that it is gone (game None)."""

    game_id: str
    game: Game | None


# Put on a stream's queue to end it: why it ended, and the event that tells the page, if any.
@dataclass(frozen=True)
class Closed:
    reason: str
    event: str | None = None


DOWN = "down"  # the bus went down: poll until a stream opens again
REPLACED = "replaced"  # a newer stream of the same tab took this one's place


@dataclass(eq=False)
class Stream:
    """One open stream: a player's own (game_id None) or one game's."""

    player: str
    epoch: int
    game_id: str | None
    tab: str | None = None  # the browser tab's id, as the page named it
    events: queue.Queue[Event | Closed] = field(default_factory=lambda: queue.Queue(QUEUE + 1))
    sent: dict[str, int] = field(default_factory=dict)  # game id -> last version sent

    def wants(self, game_id: str, players: tuple[str, ...]) -> bool:
        return game_id == self.game_id if self.game_id else self.player in players

    def fresh(self, game: Game) -> bool:
        """Return True, and remember it, if `game` is newer than what this stream sent."""
        if self.sent.get(game.id, -1) >= game.version:
            return False
        self.sent[game.id] = game.version
        if len(self.sent) > 4 * QUEUE:  # a player's stream over a long evening: stay bounded
            self.sent.pop(next(iter(self.sent)))
        return True

    def next(self, timeout: float) -> Event | Closed | None:
        """Return the next event, Closed, or None when nothing came within `timeout`."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None


class Hub:
    """The streams of this process, fed by one subscription to the bus."""

    def __init__(self, bus: Bus, read: Callable[[str, int], Game]) -> None:
        self._bus = bus
        self._read = read  # (game id, at least this version) -> the game; NotFound if gone
        self._streams: set[Stream] = set()
        self._lock = threading.Lock()
        # Held while a read game is checked against what each stream sent, and queued: two
        # readers of one game's changes must not overtake each other (or both send a version).
        self._sending = threading.Lock()
        self._up = False
        self._listening = False
        self._told = threading.Event()
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="push-read")

    def open(
        self, player: str, epoch: int, game_id: str | None = None, tab: str | None = None
    ) -> Stream:
        """Open a stream for `player` (of one game, or their own) in browser tab `tab`,
        replacing that tab's stream; raise Down or TooManyStreams."""
        self._listen()
        with self._lock:
            if not self._up:
                raise Down("Live updates are not available right now; the page polls.", 2)
            replaced = [s for s in self._streams if tab and s.player == player and s.tab == tab]
            self._streams.difference_update(replaced)
            if sum(s.player == player for s in self._streams) >= MAX_PER_PLAYER:
                self._streams.update(replaced)  # refused: the tab keeps the stream it had
                raise TooManyStreams(
                    f"At most {MAX_PER_PLAYER} live pages per player; close one.", 5
                )
            stream = Stream(player, epoch, game_id, tab)
            self._streams.add(stream)
        for old in replaced:
            _end(old, "another page of its tab opened", REPLACED)
        return stream

    def close(self, stream: Stream) -> None:
        """Forget `stream` (its request ended)."""
        with self._lock:
            self._streams.discard(stream)

    def close_all(self, reason: str, event: str | None = None) -> None:
        """End every stream (the process is stopping, or the bus went down), telling `event`."""
        with self._lock:
            streams, self._streams = self._streams, set()
        for stream in streams:
            _end(stream, reason, event)

    def count(self) -> int:
        with self._lock:
            return len(self._streams)

    def bus_down(self) -> bool:
        """True while this process cannot publish, or its subscription is down."""
        with self._lock:
            unsubscribed = self._listening and not self._up
        return unsubscribed or self._bus.failing

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

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, Revoked):
            self._revoke(notice)
            return
        with self._lock:
            watching = [s for s in self._streams if s.wants(notice.game_id, notice.players)]
        if not watching:
            return
        if isinstance(notice, Gone):
            self._deliver(watching, Event(notice.game_id, None))
        elif notice.game is not None:
            self._send(notice.game, watching)
        else:
            self._readers.submit(self._fetch, notice, watching)

    def _fetch(self, notice: Changed, watching: list[Stream]) -> None:
        try:
            game = self._read(notice.game_id, notice.version)
        except NotFound:
            self._deliver(watching, Event(notice.game_id, None))
            return
        except StoreError as err:  # the next notice, reconnect or backstop poll heals it
            log.warning("Could not read game %s for its streams: %s", notice.game_id, err)
            return
        self._send(game, watching)

    def _send(self, game: Game, watching: list[Stream]) -> None:
        with self._sending:
            self._deliver([s for s in watching if s.fresh(game)], Event(game.id, game))

    def _deliver(self, streams: list[Stream], event: Event) -> None:
        for stream in streams:
            try:
                stream.events.put_nowait(event)
            except queue.Full:
                metrics.count(metrics.NOTICES_DROPPED)
                self.close(stream)
                _end(stream, "fell behind")
                continue
            if stream.events.qsize() > QUEUE:  # the last place is kept for Closed
                self.close(stream)
                _end(stream, "fell behind")

    def _revoke(self, notice: Revoked) -> None:
        with self._lock:
            ended = [
                s
                for s in self._streams
                if s.player == notice.player and (notice.epoch is None or s.epoch < notice.epoch)
            ]
            self._streams.difference_update(ended)
        for stream in ended:
            _end(stream, "the session ended")


def _end(stream: Stream, reason: str, event: str | None = None) -> None:
    try:
        stream.events.put_nowait(Closed(reason, event))
    except queue.Full:  # it fell behind: drop its oldest event to make room for the end
        try:
            stream.events.get_nowait()
        except queue.Empty:
            pass
        stream.events.put_nowait(Closed(reason, event))
