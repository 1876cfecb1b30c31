"""Throttles on logins and sign-ups, and the bound on password hashing. No Flask here.

The limits (from [limits]; 0 switches one off):
- failed logins per account and client, per 15 minutes from the first failure;
- login attempts per client per minute, any account;
- sign-ups per client per hour.

The counts live in DynamoDB (store/limits.py), so every worker and instance shares them. A
refused request must stay cheap, so each process also remembers what DynamoDB told it: the
counts its own conditional writes returned and the refusals it learned. Once it knows a
client is over a limit, it refuses that client from memory until the window ends: no call,
no hash. What is exact and what may overshoot:

- Sign-ups are counted (one conditional write) before the password is hashed: exact.
- Failed logins are counted after the hash told us the password was wrong (a successful login
  must cost no write). So attempts that are in flight at the same moment may each pass the
  check before any of them is counted, and a process that has not yet learned a refusal
  spends one more hash (and one refused write) to learn it: at most one extra attempt per
  process per window, plus what arrived concurrently. The hash bound below caps the latter.
- Successful logins, and logins refused as busy (the hashing slots are full: 503, before any
  read), count towards the per-client limit in this process's memory only.
- Windows per client are fixed (calendar minute or hour): up to twice the limit can pass in a
  span that straddles two windows.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from tictactoe.rules.refusals import Busy, Refused, Throttled
from tictactoe.services.hashing import Hasher, busy
from tictactoe.store.errors import NotFound
from tictactoe.store.limits import Counters, Failures
from tictactoe.store.users import User

__all__ = ["Busy", "Gate", "Hasher", "Limits", "Refused", "Throttled", "client_key"]

log = logging.getLogger(__name__)

ACCOUNT_WINDOW = 15 * 60  # failed logins per account and client
LOGIN_WINDOW = 60  # login attempts per client
SIGNUP_WINDOW = 3600  # sign-ups per client
FAILING_CLIENTS = 20  # at most this many clients kept on a player's item (bounds its size)


def client_key(address: str | None) -> str:
    """Name the client: its IPv4 address, or its IPv6 /64 (one subscriber holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


def failed_once_more(failures: Failures, client: str, now: int) -> Failures:
    """Return `failures` with one more failure of `client`: entries over 15 minutes old are
    dropped, and only the FAILING_CLIENTS most recent clients are kept."""
    live = {c: v for c, v in failures.by_client.items() if now < v[0] + ACCOUNT_WINDOW}
    first, count = live.pop(client, (now, 0))
    kept = sorted(live.items(), key=lambda entry: entry[1][0])[-(FAILING_CLIENTS - 1) :]
    return Failures({**dict(kept), client: (first, count + 1)}, failures.version)


@dataclass
class Limits:
    """One process's limits: the settings, the shared counters and what it remembers."""

    counters: Counters | None
    failed_logins_per_account: int = 0
    login_attempts_per_client: int = 0
    signups_per_client: int = 0
    hasher: Hasher | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.memory = Memory()
        self.hasher = self.hasher or Hasher()

    def login_refused_until(self, client: str, now: float) -> float | None:
        """When this process stops refusing `client`'s logins, or None: it does not (yet)."""
        if not self.login_attempts_per_client:
            return None
        window = int(now // LOGIN_WINDOW)
        until = self.memory.refused_until(("login", client), now)
        counted = self.memory.count(("login", client, str(window)))
        if until is None and counted >= self.login_attempts_per_client:
            until = (window + 1) * LOGIN_WINDOW
        return until

    def gate(self, address: str | None) -> Gate:
        """Return the checks for one request from `address`."""
        return Gate(self, client_key(address))


class Gate:
    """The limits as one request from one client meets them (see services.login/register)."""

    def __init__(self, limits: Limits, client: str) -> None:
        self.limits, self.client = limits, client

    def enter_login(self, name: str) -> None:
        """Refuse from memory, before any read: this client, or this client on `name`."""
        lim, now = self.limits, self.limits.clock()
        until = lim.login_refused_until(self.client, now)
        if until is not None:
            raise too_many_logins(until - now)
        if lim.failed_logins_per_account and len(name) <= 20:
            until = lim.memory.refused_until(("account", name.lower(), self.client), now)
            if until is not None:
                raise _too_many_failures(until - now)
        assert lim.hasher is not None
        if lim.hasher.full():  # busy: refuse before the read too
            self._count_here()
            raise busy()

    def check_account(self, user: User) -> None:
        """Refuse, before hashing, a client that failed too often as this player."""
        lim, now, name = self.limits, self.limits.clock(), user.name
        if not lim.failed_logins_per_account:
            return
        first, count = user.login_failures.by_client.get(self.client, (0, 0))
        if count >= lim.failed_logins_per_account and now < first + ACCOUNT_WINDOW:
            self._refuse_account(name, first + ACCOUNT_WINDOW)
            self._count_login()  # still an attempt, for the per-client limit
            raise _too_many_failures(first + ACCOUNT_WINDOW - now)

    def verify(self, password_hash: str, password: str) -> bool:
        """Check a password in a hashing slot (Busy counts as an attempt, in memory)."""
        assert self.limits.hasher is not None
        try:
            return self.limits.hasher.run(check_password_hash, password_hash, password)
        except Busy:
            self._count_here()
            raise

    def hash(self, password: str) -> str:
        """Hash a new password in a hashing slot."""
        assert self.limits.hasher is not None
        return self.limits.hasher.run(generate_password_hash, password)

    def succeeded(self) -> None:
        """Count a successful login towards the per-client limit, in memory only (no write)."""
        self._count_here()

    def _count_here(self) -> None:
        """Count an attempt (a success, or one refused as busy) in this process only."""
        if self.limits.login_attempts_per_client:
            window = int(self.limits.clock() // LOGIN_WINDOW)
            self.limits.memory.add(("login", self.client, str(window)))

    def failed(self, user: User | None) -> None:
        """Count a wrong password: for this client, and on the player's item when there is one."""
        self._count_login()
        if user is not None and self.limits.failed_logins_per_account:
            self._record_failure(user.name, user.login_failures)

    def enter_signup(self) -> None:
        """Count a sign-up (one conditional write) before its password is hashed."""
        lim, now = self.limits, self.limits.clock()
        if not lim.signups_per_client or lim.counters is None:
            return
        window = int(now // SIGNUP_WINDOW)
        until = lim.memory.refused_until(("signup", self.client), now)
        if (
            until is None
            and lim.counters.hit(
                "signup",
                self.client,
                window,
                lim.signups_per_client,
                _expiry(window, SIGNUP_WINDOW),
            )
            is None
        ):
            until = (window + 1) * SIGNUP_WINDOW
            lim.memory.refuse(("signup", self.client), until)
        if until is not None:
            minutes = math.ceil((until - now) / 60)
            raise Throttled(
                f"Too many sign-ups from your address; try again in {minutes} minutes.",
                until - now,
            )

    def _count_login(self) -> None:
        lim = self.limits
        if not lim.login_attempts_per_client or lim.counters is None:
            return
        window = int(lim.clock() // LOGIN_WINDOW)
        count = lim.counters.hit(
            "login",
            self.client,
            window,
            lim.login_attempts_per_client,
            _expiry(window, LOGIN_WINDOW),
        )
        if count is None:
            lim.memory.refuse(("login", self.client), (window + 1) * LOGIN_WINDOW)
        else:
            lim.memory.add(("login", self.client, str(window)), shared=count)

    def _refuse_account(self, name: str, until: float) -> None:
        self.limits.memory.refuse(("account", name.lower(), self.client), until)

    def _record_failure(self, name: str, seen: Failures) -> None:
        lim, now = self.limits, int(self.limits.clock())
        assert lim.counters is not None
        for _ in range(3):  # another failure on the same player may land first: add to it
            updated = failed_once_more(seen, self.client, now)
            try:
                stored = lim.counters.save_failures(name, seen, updated)
            except NotFound:
                return  # the player is gone
            if stored is None:
                first, count = updated.by_client[self.client]
                if count >= lim.failed_logins_per_account:
                    self._refuse_account(name, first + ACCOUNT_WINDOW)
                return
            seen = stored
        log.warning("Could not record a failed login for %s: too many at once", name)


def _expiry(window: int, length: int) -> int:
    """When DynamoDB may delete a window's counter: a window after it ends."""
    return (window + 2) * length


def too_many_logins(wait: float) -> Throttled:
    return Throttled(
        f"Too many login attempts from your address; try again in {math.ceil(wait)} seconds.",
        wait,
    )


def _too_many_failures(wait: float) -> Throttled:
    return Throttled(
        "Too many failed logins for this account from your address; "
        f"try again in {math.ceil(wait / 60)} minutes.",
        wait,
    )


MEMORY = 10_000  # at most this many things remembered per process


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


# No limits at all: what the use cases get when no one passes a gate.
UNLIMITED = Gate(Limits(None, hasher=None), "unknown")
