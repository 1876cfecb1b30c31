"""A game page's own stream in the capacity flow: Server-Sent Events read in the test client.

With push on, a game page opens GET /api/games/<id>/events when it loads, and the other
player's moves reach it there instead of through its poll. `GameStream` opens that stream on
a Flask test client (unbuffered) in a thread of its own, which reads the body and closes it:
a stream_with_context generator keeps its request context while it lives, so it must be
resumed and closed from one thread, and no other request may run in that thread meanwhile.
The caller takes the game events' states from a queue, with a timeout.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

WAIT = 30.0  # seconds to wait for an event that is due (a loaded 2-core machine)
_END = object()


class StreamError(AssertionError):
    """The stream did not answer as a page's EventSource expects."""


class GameStream:
    """One open game stream: `next_state()` is the ETag of its next game event."""

    def __init__(self, client: Any, game_id: str) -> None:
        self._path = f"/api/games/{game_id}/events"
        self._states: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        threading.Thread(target=self._read, args=(client,), name=self._path, daemon=True).start()

    def _read(self, client: Any) -> None:
        response = client.get(self._path, buffered=False)
        try:
            if response.status_code != 200:
                self._states.put(StreamError(f"{self._path}: {response.status_code}"))
                return
            pending = ""
            for chunk in response.response:
                pending += chunk.decode() if isinstance(chunk, bytes) else chunk
                *blocks, pending = pending.split("\n\n")
                for block in blocks:
                    fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
                    if fields.get("event") == "game":
                        self._states.put(fields["id"])
                if self._stop.is_set():
                    break
        finally:
            response.close()  # in the thread that iterated it
            self._states.put(_END)

    def next_state(self) -> str:
        """The state (ETag) of the stream's next game event."""
        try:
            got = self._states.get(timeout=WAIT)
        except queue.Empty:
            raise StreamError(f"{self._path}: no event within {WAIT} s") from None
        if isinstance(got, StreamError):
            raise got
        if got is _END:
            raise StreamError(f"{self._path}: the stream ended, expecting an event")
        state: str = got
        return state

    def close(self) -> None:
        """Close once the next chunk comes (an event or the stream's heartbeat)."""
        self._stop.set()
