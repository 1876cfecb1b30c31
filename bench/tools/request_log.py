"""What the request log costs a request: CPU microseconds, and bytes of log a request.

`python -m bench.request_log [requests] [rounds]` serves GET /api/csrf (Flask, the session
and CSRF, no DynamoDB call) in this process through the test client, three ways in turn:
the app as deployed (a JSON line per request), the same with the request logger switched
off (the line's formatting and writing saved), and without the request log's WSGI layer at
all. It prints the median CPU time per request of each, over the rounds, the mean size of a
line, and the CPU time of writing one line alone (steadier on a busy machine than the
differences between whole requests). The DynamoDB hook's own cost (asking for
ReturnConsumedCapacity, adding up the answer) is not in these figures: a few dict operations
per call, beside botocore's own work on the call.
"""

from __future__ import annotations

import io
import logging
import os
import statistics
import sys
import time
from typing import Any

from moto import mock_aws

from tictactoe import create_app, logs
from tictactoe.config import Settings
from tictactoe.web.layers.requestlog import Tally


def cpu_per_request(client: Any, requests: int) -> float:
    """Return the CPU microseconds per GET /api/csrf, over `requests` requests."""
    started = time.process_time()
    for _ in range(requests):
        client.get("/api/csrf")
    return (time.process_time() - started) / requests * 1e6


def cpu_per_line(lines: int = 20_000) -> float:
    """Return the CPU microseconds to format and write one request line, alone."""
    log = logging.getLogger("bench.request_log")
    log.propagate = False
    log.addHandler(logs.handler(io.StringIO(), "json"))
    log.setLevel(logging.INFO)
    tally = Tally(
        "1-6b0cabf5-2b0f924286e415cf09536280",
        "POST",
        time.perf_counter(),
        200,
        "/api/games/<game_id>/moves",
        "alice",
        1,
        0.0,
        1.0,
        0.004,
    )
    started = time.process_time()
    for _ in range(lines):
        log.info("request", extra=tally.fields())
    return (time.process_time() - started) / lines * 1e6


def main(requests: int = 2000, rounds: int = 5) -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    out = io.StringIO()
    root = logging.getLogger()
    root.addHandler(logs.handler(out, "json"))
    root.setLevel(logging.INFO)
    requests_log = logging.getLogger("tictactoe.requests")
    with mock_aws():
        app = create_app(Settings(region="us-west-2", secret_key="bench-" * 6))
        logged, bare = app.wsgi_app, app.wsgi_app.app  # the RequestLog layer and what it wraps
        client = app.test_client()
        client.get("/api/csrf")
        results: dict[str, list[float]] = {"json line": [], "logger off": [], "no layer": []}
        for _ in range(rounds):
            out.seek(0)
            out.truncate()
            results["json line"].append(cpu_per_request(client, requests))
            line_bytes = len(out.getvalue().encode()) / requests
            requests_log.disabled = True
            results["logger off"].append(cpu_per_request(client, requests))
            requests_log.disabled = False
            app.wsgi_app = bare
            results["no layer"].append(cpu_per_request(client, requests))
            app.wsgi_app = logged
    for name, runs in results.items():
        print(
            f"{name:>10}: {statistics.median(runs):7.1f} µs CPU a request "
            f"({min(runs):.1f}-{max(runs):.1f})"
        )
    print(f"a request line: {line_bytes:.0f} bytes, {cpu_per_line():.1f} µs CPU to write alone")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
