"""The mechanics under the limits (limits.py): refusals, what a process remembers, and the
slots that bound password hashing."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

MEMORY = 10_000  # at most this many things remembered per process
# Per process: hashes running, requests queued behind them, and how long one may wait (s).
# A waiting request holds one of the worker's threads (gunicorn runs 4), so running + waiting
# stays at 2: the other threads are left for moves and polls whatever arrives.
HASHES_AT_ONCE, HASHES_WAITING, HASH_WAIT = 1, 1, 1.0


class Refused(Exception):
    """The request is refused for now; `retry_after` says when to try again (seconds)."""

    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class Throttled(Refused):
    """Too many attempts from this client (429)."""


class Busy(Refused):
    """Too many password hashes are running in this process (503)."""

    status = 503


class Memory:
    """What this process learned, bounded: refusals (until when) and counts per window."""

    def __init__(self, size: int = MEMORY) -> None:
        self._size = size
        self._until: dict[tuple[str, ...], float] = {}
        self._counts: dict[tuple[str, ...], list[int]] = {}  # -> [shared, local]
        self._lock = threading.Lock()

    def refused_until(self, key: tuple[str, ...], now: float) -> float | None:
        until = self._until.get(key)
        return until if until is not None and now < until else None

    def refuse(self, key: tuple[str, ...], until: float) -> None:
        with self._lock:
            self._until.pop(key, None)
            self._until[key] = until
            _bound(self._until, self._size)

    def count(self, key: tuple[str, ...]) -> int:
        return sum(self._counts.get(key, (0, 0)))

    def add(self, key: tuple[str, ...], shared: int | None = None) -> None:
        """Learn the shared count (from DynamoDB), or count one more here (shared=None)."""
        with self._lock:
            counts = self._counts.setdefault(key, [0, 0])
            if shared is None:
                counts[1] += 1
            else:
                counts[0] = max(counts[0], shared)
            _bound(self._counts, self._size)


def _bound(remembered: dict[Any, Any], size: int) -> None:
    while len(remembered) > size:  # forget the oldest first (dicts keep insertion order)
        del remembered[next(iter(remembered))]


class Hasher:
    """Run password hashes, at most `at_once` at a time, on low-priority threads."""

    def __init__(
        self, at_once: int = HASHES_AT_ONCE, waiting: int = HASHES_WAITING, wait: float = HASH_WAIT
    ) -> None:
        self._slots = threading.BoundedSemaphore(at_once)
        self._places, self._taken = at_once + waiting, 0  # running or waiting
        self._lock = threading.Lock()
        self._wait = wait
        self._pool = ThreadPoolExecutor(
            at_once, thread_name_prefix="password-hash", initializer=_lower_priority
        )

    def run(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(*args)` in a hashing slot; Busy when the queue is full, or when no slot
        frees up within the wait."""
        with self._lock:
            if self._taken >= self._places:
                raise busy()
            self._taken += 1
        try:
            if not self._slots.acquire(timeout=self._wait):
                raise busy()
            try:
                return self._pool.submit(work, *args).result()
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._taken -= 1

    def full(self) -> bool:
        """Return True when a hash asked for now would be refused at once."""
        return self._taken >= self._places


def busy() -> Busy:
    return Busy("The server is busy signing players in; try again in a moment.", 1)


def _lower_priority() -> None:
    """Let moves run before hashes: on Linux, nice applies to this thread alone."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not on this platform: the slots still bound hashing
        pass
