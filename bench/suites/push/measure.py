"""Push (issue "push"): what live updates buy and cost, against polling, in one run.

On the stack of bench/push_stack.py (two instances with push on and two with push off, each
the Procfile's `web:` and `stream:` processes, behind Debian's nginx, one redis-server, and
one more push-on instance for the waiting pages alone):

1. Move to screen: two headless chromium pages play; from the mover's click (its
   performance.now(), in the page) to the cell appearing on the other page (a
   MutationObserver there, same clock: performance.timeOrigin + now()), push on, push on
   while a sign-up flood runs, and push off (the page's 2 s poll), for comparison.
2. Waiting: both players' game pages open on a game nobody moves in, push on, beside the
   rest; every DynamoDB call of every process of their instance (bench/push_conf.py), per
   minute, and by the schedules (the backstop poll, the streams' session re-checks).
3. Open streams: RSS of the stream processes per 1,000 open streams (bench/stream_holder.py
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
from bench.push_stack import push_stack
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
    phases: dict[str, float] = {}
    results: dict[str, Any] = {
        "sizes": asdict(sizes),
        "phases": phases,
        "load_before": os.getloadavg()[0],
    }

    def phase(name: str, since: float) -> float:
        phases[name] = time.monotonic() - since
        return time.monotonic()

    spawn = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="bench-push-", dir=workdir) as tmp,
        push_stack(Path(tmp), endpoint, s3_endpoint) as stack,
        ProcessPoolExecutor(1, mp_context=spawn) as beside,
    ):
        results["stack_seconds"] = time.monotonic() - started
        log.info("push: stack up in %.0f s; signing up players", results["stack_seconds"])
        tag = random.randrange(10**6)
        names = [f"p{i}x{tag}" for i in range(6 + 4 * sizes.cpu_games)]
        core = stack.register(names, "on")
        # Each measurement its own players, so that none brings another's history (a
        # finished game grows the players' items, and so what writing them costs).
        movers, watchers, second, pacers = core[:2], core[2:4], core[4:6], core[6:]
        host, opponent = movers
        log.info(
            "push: waiting %.0f s (push on) on instances of its own, beside the rest",
            sizes.wait_seconds,
        )
        waited = beside.submit(
            waiting, stack.url("wait"), stack.calls_dir, *watchers, sizes.wait_seconds
        )
        mark = phase("stack and sign-ups", started)
        log.info("push: move to screen, push on, %d moves", sizes.moves)
        before = stack.capacity("on")
        results["latency_on"] = screens(
            stack.url("on"), host, opponent, sizes.moves, PAUSE_ON, probe=True
        )
        results["latency_on"]["dynamodb"] = difference(stack.capacity("on"), before)
        mark = phase("latency on", mark)
        log.info("push: move to screen during a sign-up flood")
        results["latency_flooded"] = flooded_screens(
            stack.url("on"),
            host,
            opponent,
            sizes.moves,
            sizes.flood_rate,
            SIGNUP_FLOOD_SOURCE.format(random.randrange(1, 250)),
        )
        mark = phase("latency flooded", mark)
        log.info(
            "push: move to screen, push off, while %d stream players sign up there",
            math.ceil(sizes.streams / STREAMS_PER_PLAYER),
        )
        with ProcessPoolExecutor(2, mp_context=spawn) as pool, ThreadPoolExecutor(1) as side:
            # Two games at once, each half the moves: the pauses that sample the poll cycle
            # take most of the time.
            halves = (math.ceil(sizes.moves / 2), sizes.moves // 2)
            off = [
                pool.submit(screens, stack.url("off"), h, o, n, PAUSE_OFF, False, seed)
                for (h, o), n, seed in zip(
                    ((host, opponent), tuple(second)), halves, (3, 4), strict=True
                )
                if n
            ]
            signing = side.submit(stream_players, stack, sizes.streams)
            results["latency_off"] = merged([f.result(timeout=900) for f in off])
            holders, games = signing.result(timeout=900)
        mark = phase("latency off, stream players' sign-ups", mark)
        log.info("push: app CPU per game at a move every %.0f s", HUMAN_PACE)
        with sync_playwright() as p:
            browser = launch(p)
            try:
                results["human_pace"] = human_pace(stack, browser, pacers, sizes.cpu_games)
            finally:
                browser.close()
        mark = phase("CPU per game", mark)
        log.info("push: %d open streams", sizes.streams)
        load_players = [*movers, *second, *pacers][:8]  # not the waiting pages' players
        results["streams"] = open_streams(
            stack, load_players, holders, games, sizes.streams, sizes.load_seconds
        )
        mark = phase("open streams", mark)
        results["waiting"] = waited.result(timeout=sizes.wait_seconds + 300)
        phase("waiting (beside the rest), what was left of it", mark)
    results["seconds"] = time.monotonic() - started
    results["load_after"] = os.getloadavg()[0]
    return results
