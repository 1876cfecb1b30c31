"""Metrics for CloudWatch, as Embedded Metric Format (EMF) lines in a file of the app's own.

On Elastic Beanstalk the CloudWatch agent ships the file to a log group, and CloudWatch Logs
turns each line into metric values (.ebextensions/06-alarms.config; why this way and not
another: docs/operations.md, "Alarms"). TICTACTOE_METRICS_FILE names the file; unset (`make
run`, the tests), there are no metrics and every call here returns at once.

- One line per request (tictactoe/web/layers/requestlog.py): Requests by route and status
  class; Latency, ServerErrors (0 or 1, so its average is the 5xx rate), ReadUnits and
  WriteUnits for the environment; and what the request did (`count`: Moves, GamesStarted ...).
- One line a minute per process: the gauges (OpenStreams, BusDown) and what was counted
  outside any request (NoticesDropped, BusOutages).

Writing a line is one json.dumps and one append to the file: no network, no AWS call. The
file is emptied when it passes MAX_BYTES (the agent has shipped it by then), so a busy
instance never fills its disk.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

log = logging.getLogger(__name__)

NAMESPACE = "TicTacToe"
FILE_ENV = "TICTACTOE_METRICS_FILE"
ENVIRONMENT_ENV = "TICTACTOE_METRICS_ENVIRONMENT"  # the Environment dimension's value
MAX_BYTES = 64 * 1024 * 1024
PERIOD = 60  # seconds between the per-process lines, at the same second of every minute

# Metric names; the alarms and the dashboard name the same ones (tests/deploy keep them so).
REQUESTS, LATENCY, SERVER_ERRORS = "Requests", "Latency", "ServerErrors"
READ_UNITS, WRITE_UNITS = "ReadUnits", "WriteUnits"
MOVES, GAMES_STARTED, GAMES_FINISHED = "Moves", "GamesStarted", "GamesFinished"
OPEN_STREAMS, BUS_DOWN = "OpenStreams", "BusDown"
NOTICES_DROPPED, BUS_OUTAGES = "NoticesDropped", "BusOutages"
ENVIRONMENT, ROUTE, STATUS_CLASS = "Environment", "Route", "StatusClass"
UNMATCHED = "unmatched"  # the Route of a request no URL rule matched (a 404, a flood's 429)

Gauge = Callable[[], float | None]
_counts: ContextVar[dict[str, float] | None] = ContextVar("metrics_counts", default=None)


class Sink:
    """The file the lines go to: appended to by every process of the instance."""

    def __init__(self, path: str, environment: str, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.environment = environment
        self._max_bytes = max_bytes
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Append one line (one write: processes sharing the file never split a line)."""
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                if os.fstat(self._fd).st_size + len(line) > self._max_bytes:
                    os.ftruncate(self._fd, 0)  # O_APPEND: every process goes on at the start
                os.write(self._fd, line)
            except OSError as err:  # a full disk must not fail a request
                log.warning("Could not write a metrics line to %s: %s", self.path, err)


_sink: Sink | None = None
_gauges: dict[str, Gauge] = {}
_totals: dict[str, float] = {}
_lock = threading.Lock()
_reporter: tuple[int, threading.Thread] | None = None  # (pid, thread): one per process


def configure(path: str | None = None, environment: str | None = None) -> None:
    """Write metrics to `path` (default: TICTACTOE_METRICS_FILE; none: metrics off)."""
    global _sink
    path = path or os.environ.get(FILE_ENV) or None
    if path is None:
        _sink = None
        return
    environment = environment or os.environ.get(ENVIRONMENT_ENV) or "local"
    if _sink is None or (_sink.path, _sink.environment) != (path, environment):
        with _lock:
            _totals.clear()  # counted for another file: not this one's
        try:
            _sink = Sink(path, environment)
        except OSError as err:  # no metrics is better than no app
            log.warning("Metrics are off: cannot write to %s (%s)", path, err)
            _sink = None
            return
    _start_reporter()


def enabled() -> bool:
    return _sink is not None


def gauge(name: str, read: Gauge | None) -> None:
    """Report `read()` once a minute as `name` (it may return None: nothing to report this
    time); None instead of a function: stop reporting `name`."""
    with _lock:
        if read is None:
            _gauges.pop(name, None)
        else:
            _gauges[name] = read


def count(name: str, value: float = 1) -> None:
    """Count `name` for the request being served, or for this process outside requests."""
    if _sink is None:
        return
    counts = _counts.get()
    if counts is not None:
        counts[name] = counts.get(name, 0) + value
        return
    with _lock:
        _totals[name] = _totals.get(name, 0) + value


def begin() -> Token[dict[str, float] | None] | None:
    """Start counting for a request (see `request`); None when metrics are off."""
    return _counts.set({}) if _sink is not None else None


def request(
    token: Token[dict[str, float] | None] | None,
    route: str | None,
    status: int,
    milliseconds: float,
    read_units: float,
    write_units: float,
) -> None:
    """Write the line of a request that `begin` started, with what it counted."""
    if token is None:
        return
    counts = _counts.get() or {}
    _counts.reset(token)
    sink = _sink
    if sink is None:
        return
    environment = [[ENVIRONMENT]]
    values = {
        LATENCY: milliseconds,
        SERVER_ERRORS: int(status >= 500),
        READ_UNITS: read_units,
        WRITE_UNITS: write_units,
        **counts,
    }
    units = {LATENCY: "Milliseconds"}
    sink.write(
        _record(
            [
                _directive([[ENVIRONMENT, ROUTE, STATUS_CLASS]], {REQUESTS: "Count"}),
                _directive(environment, {name: units.get(name, "Count") for name in values}),
            ],
            {
                ENVIRONMENT: sink.environment,
                ROUTE: route or UNMATCHED,
                STATUS_CLASS: f"{status // 100}xx",
                REQUESTS: 1,
                **values,
            },
        )
    )


def report() -> None:
    """Write this process's line: the gauges, and what was counted outside requests."""
    sink = _sink
    if sink is None:
        return
    with _lock:
        gauges = list(_gauges.items())
        values = dict(_totals)
        _totals.clear()
    for name, read in gauges:
        try:
            found = read()
        except Exception as err:  # a gauge must never stop the reports
            log.warning("Metric %s could not be read: %s", name, err)
            continue
        if found is not None:
            values[name] = found
    if values:
        sink.write(
            _record(
                [_directive([[ENVIRONMENT]], dict.fromkeys(values, "Count"))],
                {ENVIRONMENT: sink.environment, **values},
            )
        )


def _record(directives: list[dict[str, Any]], members: dict[str, Any]) -> dict[str, Any]:
    timestamp = int(time.time() * 1000)
    return {"_aws": {"Timestamp": timestamp, "CloudWatchMetrics": directives}, **members}


def _directive(dimensions: list[list[str]], units: dict[str, str]) -> dict[str, Any]:
    return {
        "Namespace": NAMESPACE,
        "Dimensions": dimensions,
        "Metrics": [{"Name": name, "Unit": unit} for name, unit in units.items()],
    }


def _start_reporter() -> None:
    """Start this process's reporting thread (again after a fork: threads do not survive it)."""
    global _reporter
    with _lock:
        if _reporter is not None and _reporter[0] == os.getpid() and _reporter[1].is_alive():
            return
        thread = threading.Thread(target=_report_every_minute, name="metrics", daemon=True)
        _reporter = (os.getpid(), thread)
    thread.start()


def _report_every_minute() -> None:
    while True:
        # Half past each minute: every process's value lands in the minute it describes, once.
        time.sleep(PERIOD - (time.time() - PERIOD / 2) % PERIOD)
        report()
