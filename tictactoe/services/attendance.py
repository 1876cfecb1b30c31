"""Presence of this process's game streams: written to the bus's Valkey, read back for them.

Each open stream on a game is an entry in the game's presence (tictactoe/adapters/presence.py),
added when it opens, refreshed every third of the entries' life, removed when it closes. Each
change is announced on the game's channel (a HereChanged notice), so every process with
streams on that game reads who is here and hands it to them (`Attended`); and every refresh
reads again, so an entry that lapsed (its instance died) reaches the streams within a period
too. A stream sends `event: presence` only when what it shows changed (tictactoe/web/streams.py).

One thread does all of it, in order, so the open and close of one stream never swap; the
hub's calls only queue work and never wait on the bus. Nothing is ever written to DynamoDB.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from tictactoe.adapters.presence import Entry, Presence
from tictactoe.rules.notices import HereChanged, Notice
from tictactoe.rules.presence import Here
from tictactoe.services.stream import Stream

log = logging.getLogger(__name__)

COME, GO, READ = "come", "go", "read"


class Attendance:
    """The game streams of this process, present in Valkey while they are open."""

    def __init__(
        self,
        presence: Presence,
        publish: Callable[[Notice], None],
        deliver: Callable[[Here], None],
    ) -> None:
        self._presence = presence
        self._publish = publish
        self._deliver = deliver  # hands who is here to this process's streams on that game
        self._open: dict[str, Entry] = {}  # stream id -> its entry
        self._lock = threading.Lock()
        self._work: queue.Queue[tuple[str, Entry]] = queue.Queue()
        self._thread: threading.Thread | None = None

    @property
    def period(self) -> float:
        """Seconds between refreshes: a third of an entry's life, so one lost refresh is fine."""
        return self._presence.seconds / 3

    def came(self, stream: Stream) -> None:
        """Count `stream`'s player as here on its game (a player's own stream: not a game's)."""
        if stream.game_id is None:
            return
        entry = (stream.game_id, stream.player, stream.id)
        with self._lock:
            self._open[stream.id] = entry
            self._start()
        self._work.put((COME, entry))

    def left(self, stream: Stream) -> None:
        """Forget `stream`'s entry (it closed)."""
        with self._lock:
            entry = self._open.pop(stream.id, None)
        if entry is not None:
            self._work.put((GO, entry))

    def heard(self, game_id: str) -> None:
        """Read `game_id`'s presence again for the streams here (someone came or went)."""
        self._work.put((READ, (game_id, "", "")))

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():  # after gunicorn's fork
            self._thread = threading.Thread(target=self._run, name="presence", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        due = time.monotonic() + self.period
        while True:
            work: list[tuple[str, Entry]] = []
            try:
                work.append(self._work.get(timeout=max(0.0, due - time.monotonic())))
                while not self._work.empty() and len(work) < 100:  # what piled up, at once
                    work.append(self._work.get_nowait())
            except queue.Empty:
                pass
            try:
                if work:
                    self._do(work)
                if time.monotonic() >= due:
                    due = time.monotonic() + self.period
                    self._refresh()
            except Exception:  # the thread must outlive any surprise: presence is best effort
                log.exception("Presence work failed")

    def _do(self, work: list[tuple[str, Entry]]) -> None:
        """Write the comings and goings (in order), announce them, read the games again."""
        changed: list[str] = []
        for kind, entry in work:
            if kind != READ:
                write = self._presence.come if kind == COME else self._presence.go
                if write([entry]):
                    self._publish(HereChanged(entry[0]))
            changed.append(entry[0])
        self._read(dict.fromkeys(changed))

    def _refresh(self) -> None:
        with self._lock:
            entries = list(self._open.values())
        if entries and self._presence.come(entries, refresh=True):
            self._read(dict.fromkeys(e[0] for e in entries))

    def _read(self, game_ids: dict[str, None]) -> None:
        with self._lock:
            watched = {e[0] for e in self._open.values()}
        for here in self._presence.read_all([g for g in game_ids if g in watched]):
            self._deliver(here)
