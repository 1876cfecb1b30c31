"""Refusals for now: a request turned away, and when it may try again. Pure values."""

from __future__ import annotations

import math


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
