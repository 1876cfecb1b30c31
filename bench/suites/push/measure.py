"""Push (issue "push"): what live updates buy and cost, against polling, in one run.

On the stack of bench/harness/stack.py (two instances with push on and two with push off, each
the Procfile's `web:` and `stream:` processes, behind Debian's nginx, one redis-server, and
one more push-on instance for the waiting pages alone):

1. Move to screen: two headless chromium pages play; from the mover's click (its
   performance.now(), in the page) to the cell appearing on the other page (a
   MutationObserver there, same clock: performance.timeOrigin + now()), push on, push on
   while a sign-up flood runs, and push off (the page's 2 s poll), for comparison.
2. Waiting: both players' game pages open on a game nobody moves in, push on, beside the
   rest; every DynamoDB call of every process of their instance (devstack/hooks.py), per
   minute, and by the schedules (the backstop poll, the streams' session re-checks).
3. Open streams: RSS of the stream processes per 1,000 open streams (bench/suites/push/holder.py
   holds them through nginx), and move p99 (bench/load.py, 4 pairs) with them and without.
4. App CPU per game at a human pace (a move every 3 s, real pages), push on and push off at
   the same time: user + system CPU of every gunicorn master and worker, from /proc.

`python -m bench --quick --only push` runs it alone with small sizes (two minutes or so).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import random
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from bench.harness.calls import difference
from bench.harness.stack import push_stack
from bench.suites.common.browsers import launch
from bench.suites.push.cpu import human_pace
from bench.suites.push.latency import flooded_screens, merged, screens
from bench.suites.push.settings import (
    HUMAN_PACE,
    PAUSE_OFF,
    PAUSE_ON,
    SIGNUP_FLOOD_SOURCE,
    STREAMS_PER_PLAYER,
    Sizes,
)
from bench.suites.push.streams import open_streams, stream_players
from bench.suites.push.waiting import waiting

log = logging.getLogger("bench.push")
SPAWN = multiprocessing.get_context("spawn")


def run(
    sizes: Sizes,
    endpoint: str | None = None,
    s3_endpoint: str | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Start the push stack, measure the four figures, stop it; return the results.

    The waiting window runs beside everything else, on instances of its own; the push-off
    latency runs beside the stream players' sign-ups (on the same push-off instances: the
    poll's 2 s dwarfs what they add). Everything else runs alone."""
    started = time.monotonic()
    results: dict[str, Any] = {"sizes": asdict(sizes), "phases": {}}
    results["load_before"] = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="bench-push-", dir=workdir) as tmp,
        push_stack(Path(tmp), endpoint, s3_endpoint) as stack,
        ProcessPoolExecutor(1, mp_context=SPAWN) as beside,
    ):
        results["stack_seconds"] = time.monotonic() - started
        log.info("push: stack up in %.0f s; signing up players", results["stack_seconds"])
        measure = _Measure(stack, sizes, results, started)
        log.info(
            "push: waiting %.0f s (push on) on instances of its own, beside the rest",
            sizes.wait_seconds,
        )
        waited = beside.submit(
            waiting, stack.url("wait"), stack.calls_dir, *measure.watchers, sizes.wait_seconds
        )
        measure.phase("stack and sign-ups")
        for step in (measure.on, measure.flooded, measure.off, measure.pace, measure.streams):
            step()
        results["waiting"] = waited.result(timeout=sizes.wait_seconds + 300)
        measure.phase("waiting (beside the rest), what was left of it")
    results["seconds"] = time.monotonic() - started
    results["load_after"] = os.getloadavg()[0]
    return results


class _Measure:
    """The measurements on one push stack, in turn, each timed as a phase."""

    def __init__(self, stack: Any, sizes: Sizes, results: dict[str, Any], since: float) -> None:
        self.stack, self.sizes, self.results, self.since = stack, sizes, results, since
        tag = random.randrange(10**6)
        core = stack.register([f"p{i}x{tag}" for i in range(6 + 4 * sizes.cpu_games)], "on")
        # Each measurement its own players, so that none brings another's history (a
        # finished game grows the players' items, and so what writing them costs).
        self.movers, self.watchers, self.second, self.pacers = (
            core[:2],
            core[2:4],
            core[4:6],
            core[6:],
        )

    def phase(self, name: str) -> None:
        self.results["phases"][name] = time.monotonic() - self.since
        self.since = time.monotonic()

    def on(self) -> None:
        log.info("push: move to screen, push on, %d moves", self.sizes.moves)
        before = self.stack.capacity("on")
        found = screens(self.stack.url("on"), *self.movers, self.sizes.moves, PAUSE_ON, probe=True)
        found["dynamodb"] = difference(self.stack.capacity("on"), before)
        self.results["latency_on"] = found
        self.phase("latency on")

    def flooded(self) -> None:
        log.info("push: move to screen during a sign-up flood")
        source = SIGNUP_FLOOD_SOURCE.format(random.randrange(1, 250))
        self.results["latency_flooded"] = flooded_screens(
            self.stack.url("on"), *self.movers, self.sizes.moves, self.sizes.flood_rate, source
        )
        self.phase("latency flooded")

    def off(self) -> None:
        sizes, url = self.sizes, self.stack.url("off")
        log.info(
            "push: move to screen, push off, while %d stream players sign up there",
            math.ceil(sizes.streams / STREAMS_PER_PLAYER),
        )
        with ProcessPoolExecutor(2, mp_context=SPAWN) as pool, ThreadPoolExecutor(1) as side:
            # Two games at once, each half the moves: the pauses that sample the poll cycle
            # take most of the time.
            halves = (math.ceil(sizes.moves / 2), sizes.moves // 2)
            pairs = (tuple(self.movers), tuple(self.second))
            off = [
                pool.submit(screens, url, h, o, n, PAUSE_OFF, False, seed)
                for (h, o), n, seed in zip(pairs, halves, (3, 4), strict=True)
                if n
            ]
            signing = side.submit(stream_players, self.stack, sizes.streams)
            self.results["latency_off"] = merged([f.result(timeout=900) for f in off])
            self.holders, self.games = signing.result(timeout=900)
        self.phase("latency off, stream players' sign-ups")

    def pace(self) -> None:
        log.info("push: app CPU per game at a move every %.0f s", HUMAN_PACE)
        with sync_playwright() as p:
            browser = launch(p)
            try:
                cpu = human_pace(self.stack, browser, self.pacers, self.sizes.cpu_games)
                self.results["human_pace"] = cpu
            finally:
                browser.close()
        self.phase("CPU per game")

    def streams(self) -> None:
        log.info("push: %d open streams", self.sizes.streams)
        players = [*self.movers, *self.second, *self.pacers][:8]  # not the waiting pages'
        self.results["streams"] = open_streams(
            self.stack,
            players,
            self.holders,
            self.games,
            self.sizes.streams,
            self.sizes.load_seconds,
        )
        self.phase("open streams")
