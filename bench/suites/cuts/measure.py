"""App CPU per request with each per-request CPU cut of 7fcaba5 off and on, from one run,
and what the CloudWatch metrics line (issue 25) costs.

One process: an app from create_app on DynamoDB Local (another process, so its CPU is not
counted here), played through Flask's test client as bench/flows.py plays. Each row switches
something (bench/suites/cuts/switches.py): one cut, all four together, nothing (the noise between
two identical states), the orjson candidate, or the metrics line (a cost: on writes it, as
production does); everything else stays as it ships, metrics off. A round
plays, for every row, one 7-move game with the switch off, then one with it on; rounds
repeat until ROUNDS or the time budget. A request's CPU is time.process_time() of this
process around the test client's call (the client's own work included, alike in both
states). The figures: median µs per request over all rounds, and on ÷ off.
`python -m bench --only cuts [--quick]` runs it alone.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.flows import Browser, new_pair
from bench.suites.common.timed import KINDS, timed_game
from bench.suites.cuts.switches import CANDIDATE, CUTS, METRICS, Switches, orjson_version
from tictactoe import create_app, logs
from tictactoe.config import Settings
from tictactoe.web.layers import requestlog

log = logging.getLogger("bench")
NOISE = "nothing (noise)"
# Each row: the switches it turns off, then on (all else as shipped).
ROWS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in CUTS},
    "all four": tuple(CUTS),
    NOISE: (),
    CANDIDATE: (CANDIDATE,),
    METRICS: (METRICS,),
}
ROUNDS, SECONDS = 30, 60  # at most ROUNDS rounds, none started after SECONDS
QUICK_ROUNDS, QUICK_SECONDS = 4, 12


def measure(
    settings: Settings,
    quick: bool = False,
    rounds: int | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    """Play the rounds on a new app on `settings`' DynamoDB Local; return medians and ratios."""
    rounds = rounds or (QUICK_ROUNDS if quick else ROUNDS)
    budget = seconds or (QUICK_SECONDS if quick else SECONDS)
    app = create_app(settings)
    switches, started, done = Switches(app), time.monotonic(), 0
    rows = {row: parts for row, parts in ROWS.items() if set(parts) <= set(switches.names())}
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        row: {state: {kind: [] for kind in KINDS} for state in ("off", "on")} for row in rows
    }
    by_round: dict[str, dict[str, list[list[float]]]] = {
        row: {kind: [] for kind in KINDS} for row in rows
    }
    with _request_log():
        try:
            switches.ship()
            host, opponent = new_pair(app)
            for on in (False, True):  # warm both code paths (templates, serializers, caches)
                _apply(switches, (*CUTS, CANDIDATE, METRICS), on)
                timed_game(host, opponent, page_visits=2)
            while done < rounds and time.monotonic() - started < budget:
                for row, parts in rows.items():
                    _row(switches, parts, (host, opponent), samples[row], by_round[row])
                done += 1
                log.info("  cuts: round %d of %d, %.0f s", done, rounds, time.monotonic() - started)
        finally:
            switches.restore()
    return {
        "rounds": done,
        "seconds": time.monotonic() - started,
        "orjson": orjson_version(),
        "load": os.getloadavg()[0],
        "rows": {row: _figures(samples[row], by_round[row]) for row in rows},
    }


def _row(
    switches: Switches,
    parts: tuple[str, ...],
    players: tuple[Browser, Browser],
    samples: dict[str, dict[str, list[float]]],
    by_round: dict[str, list[list[float]]],
) -> None:
    """One round of a row: a game with its parts off, then one with them on."""
    games = {}
    for state, on in (("off", False), ("on", True)):
        _apply(switches, parts, on)
        games[state] = timed_game(*players, page_visits=2)
        for kind in KINDS:
            samples[state][kind] += games[state][kind]
    for kind in KINDS:
        by_round[kind].append([statistics.median(games[s][kind]) for s in ("off", "on")])


def _figures(
    samples: dict[str, dict[str, list[float]]], by_round: dict[str, list[list[float]]]
) -> dict[str, Any]:
    off = {kind: statistics.median(samples["off"][kind]) for kind in KINDS}
    on = {kind: statistics.median(samples["on"][kind]) for kind in KINDS}
    return {
        "off_us": off,
        "on_us": on,
        "ratio": {kind: on[kind] / off[kind] for kind in KINDS},
        "round_ratios": {kind: [b / a for a, b in by_round[kind]] for kind in KINDS},
        "samples": {kind: len(samples["on"][kind]) for kind in KINDS},
    }


def _apply(switches: Switches, parts: tuple[str, ...], on: bool) -> None:
    switches.ship()
    for name in parts:
        switches.set(name, on)


@contextmanager
def _request_log() -> Iterator[None]:
    """The request log writing as in production (a JSON line per request, INFO), to devnull,
    whatever this process's logging says (the bench quiets the app's loggers)."""
    logger = requestlog.log
    level, propagate = logger.level, logger.propagate
    with open(os.devnull, "w") as sink:
        handler = logs.handler(sink, "json")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
