"""Move latency while an anonymous client floods /api/login with wrong passwords.

Runs alternate: a quiet run (pairs play, nothing else), then a flooded run (the same pairs
play while a flood process sends wrong passwords at RATE requests a second, ten times the
15-20 a second that used to saturate a t3.micro with password hashes; or, for information,
as fast as it can, which on these 2 shared cores measures raw HTTP handling more than the
limits). The movers signed up
before any flood, from 127.0.0.1, so their sessions owe nothing to the login limits. The flood
comes from a loopback address of its own for each run (127.0.0.2, .3, ...: Linux routes all of
127/8 to the loopback device), so every flooded run meets fresh counters and the movers never
share its limits. It guesses a new name each time, so what stops it is the per-client limit
(login_attempts_per_client), the costlier case: each counted guess is a password hash.
Bounded: at most MAX_REQUESTS requests and the run's seconds, on loopback only.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any
from urllib.parse import SplitResult, urlsplit

from bench import load
from bench.harness.stack import Stack

MAX_REQUESTS = 50_000
CONNECTIONS = 16  # the flooder's concurrent keep-alive connections
RATE = 200.0  # flood requests a second, across all connections (None: as fast as it can)


def run(
    stack: Stack,
    players: list[load.Player],
    runs: int,
    seconds: float,
    rate: float | None = RATE,
) -> dict[str, Any]:
    """Quiet and flooded runs in turn; return both, and what the flood got."""
    out: dict[str, Any] = {"quiet": [], "flooded": [], "flood": [], "moves_sent": 0, "rate": rate}
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        for i in range(runs):
            before = stack.cpu_seconds()
            quiet = load.measure(stack.app_url, players, seconds, 20_000)
            after = stack.cpu_seconds()
            quiet["server_cpu_s"] = {k: after[k] - before[k] for k in after}
            out["quiet"].append(quiet)
            before = stack.cpu_seconds()
            source = f"127.0.0.{i + 2 + (0 if rate else 100)}"
            flood = pool.submit(flood_logins, stack.app_url, source, seconds + 1.0, rate)
            time.sleep(0.5)  # let the flood get going before the movers' window opens
            moved = load.measure(stack.app_url, players, seconds, 20_000)
            flooded = flood.result(seconds + 120)
            after = stack.cpu_seconds()
            moved["server_cpu_s"] = {k: after[k] - before[k] for k in after}
            out["flooded"].append(moved)
            out["flood"].append(flooded)
            out["moves_sent"] += out["quiet"][-1]["moves_sent"] + moved["moves_sent"]
    return out


def loopback_only(url: str) -> SplitResult:
    """Return `url`'s parts; refuse any host but loopback (every load here stays on it)."""
    where = urlsplit(url)
    if not ipaddress.ip_address(where.hostname or "").is_loopback:
        raise ValueError(f"loads run against loopback only, not {url}")
    return where


def run_workers(
    worker: Callable[[int], None], source: str, statuses: Counter[int]
) -> dict[str, Any]:
    """Run `worker` on CONNECTIONS threads until each returns; sum up the answers it counted."""
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    total = sum(statuses.values())
    return {
        "source": source,
        "seconds": took,
        "requests": total,
        "per_s": total / took if took else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def flood_logins(
    base_url: str, source: str, seconds: float, rate: float | None = RATE
) -> dict[str, Any]:
    """Send wrong passwords from `source` for `seconds` (at `rate` a second, or as fast as
    the connections go); count the answers by status."""
    where = loopback_only(base_url)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    sent = iter(range(MAX_REQUESTS))

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(
            where.hostname, where.port, timeout=30, source_address=(source, 0)
        )
        connection.request("GET", "/api/csrf")
        answer = connection.getresponse()
        token = json.loads(answer.read())["csrf_token"]
        cookie = answer.getheader("Set-Cookie", "").split(";", 1)[0]
        headers = {"Content-Type": "application/json", "X-CSRFToken": token, "Cookie": cookie}
        gap, due = (CONNECTIONS / rate if rate else 0.0), time.perf_counter()
        while time.perf_counter() < deadline and (n := next(sent, None)) is not None:
            due += gap
            time.sleep(max(0.0, due - time.perf_counter()))
            body = json.dumps({"username": f"guess{index}x{n}", "password": "wrong password"})
            connection.request("POST", "/api/login", body, headers)
            response = connection.getresponse()
            response.read()
            with lock:
                statuses[response.status] += 1
        connection.close()

    return run_workers(worker, source, statuses)
