"""A token bucket that keeps a bulk job under a share of a table's capacity.

The cost of a DynamoDB call is known only after it (ReturnConsumedCapacity), so callers
take a turn first (`wait`), then pay what the call consumed (`spend`). The bucket may go
into debt by one call's cost; the next caller then waits until the debt is paid back. Over
any stretch of time the units spent are at most `rate` a second, plus one second's worth of
burst and the calls already in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most `rate` units a second on average, shared by every thread that uses it."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be more than 0 units a second")
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = rate  # one second's worth of burst
        self._last = clock()
        self._lock = threading.Lock()
        self.spent = 0.0
        self.waited = 0.0  # seconds spent waiting for tokens, all callers together

    def wait(self) -> None:
        """Return once the bucket is out of debt (sleeping meanwhile)."""
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 0:
                    return
                pause = -self._tokens / self.rate
                self.waited += pause
            self._sleep(pause)

    def spend(self, units: float) -> None:
        """Pay `units` for a call that has been made."""
        with self._lock:
            self._refill()
            self._tokens -= units
            self.spent += units

    def _refill(self) -> None:
        moment = self._clock()
        self._tokens = min(self.rate, self._tokens + (moment - self._last) * self.rate)
        self._last = moment
