"""The bound on password hashing: a few slots per process, on low-priority threads."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tictactoe.rules.refusals import Busy

T = TypeVar("T")

# Per process: hashes running, requests queued behind them, and how long one may wait (s).
# A waiting request holds one of the worker's threads (gunicorn runs 4), so running + waiting
# stays at 2: the other threads are left for moves and polls whatever arrives.
HASHES_AT_ONCE, HASHES_WAITING, HASH_WAIT = 1, 1, 1.0


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


def _lower_priority() -> None:
    """Let moves run before hashes: on Linux, nice applies to this thread alone."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not on this platform: the slots still bound hashing
        pass


def busy() -> Busy:
    return Busy("The server is busy signing players in; try again in a moment.", 1)
