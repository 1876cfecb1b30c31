"""The push benchmark's open streams: their RSS, and move p99 with them open and without."""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from bench import load
from bench.harness.instances import PushStack, children, rss
from bench.load import Player
from bench.suites.push.holder import StreamHolder
from bench.suites.push.pages import new_game
from bench.suites.push.settings import STREAMS_PER_PLAYER


def stream_players(stack: PushStack, count: int) -> tuple[list[Player], list[str]]:
    """Sign up enough players to hold `count` streams (8 each) and pair them in games.

    Through the push-off instances (the same tables and session key), beside the push-off
    latency (a figure of seconds: the 2 s poll)."""
    needed = max(2, math.ceil(count / STREAMS_PER_PLAYER))
    needed += needed % 2
    players = stack.register([f"s{i}x{random.randrange(10**6)}" for i in range(needed)], "off")
    url, half = stack.url("off"), needed // 2
    with ThreadPoolExecutor(4) as pool:
        games = list(pool.map(lambda i: new_game(url, players[i], players[half + i]), range(half)))
    return players, games + games


def open_streams(
    stack: PushStack,
    movers: list[Player],
    holders: list[Player],
    games: list[str],
    count: int,
    seconds: float,
) -> dict[str, Any]:
    """Move p99 (4 pairs) without streams, with `count` open, and without again; the stream
    processes' RSS before and with them."""
    url = stack.url("on")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:

        def moving() -> dict[str, Any]:  # bench/load.py's load, in one process for all runs
            return dict(pool.submit(load.run, url, movers, seconds, 20_000).result(seconds + 120))

        pool.submit(load.run, url, movers, 2, 2000).result(120)  # warm-up
        before = moving()
        time.sleep(0.5)
        rss_before, nginx_before = stack.stream_rss(), _nginx_rss(stack)
        holder = StreamHolder(url, _wanted(holders, games, count), max_seconds=120 + 10 * seconds)
        found = _held(stack, holder, moving)
    runs = {"without": [before, found.pop("after")], "with": found.pop("with")}
    per = max(found["opened"]["open"], 1)
    quiet, loaded = ([r["p99_ms"] for r in runs[k]] for k in ("without", "with"))
    return found | {
        "asked": count,
        "rss_before": rss_before,
        "rss_per_1000": (found["rss_with"] - rss_before) / per * 1000,
        "nginx_rss_per_1000": (found.pop("nginx_with") - nginx_before) / per * 1000,
        "runs": {k: [_brief(r) for r in v] for k, v in runs.items()},
        # Each run with streams against the run without them on its side (before, after).
        "p99_ratios": [w / q for w, q in zip(loaded, quiet, strict=True)],
    }


def _held(stack: PushStack, holder: StreamHolder, moving: Any) -> dict[str, Any]:
    """Open the streams, measure RSS and two runs with them, close them, run once more."""
    opened = holder.open()
    try:
        time.sleep(1.0)
        rss_with, nginx_with = stack.stream_rss(), _nginx_rss(stack)
        loaded = [moving() for _ in range(2)]
        held = holder.close()
        time.sleep(1.0)
        after = moving()
    finally:
        holder.close()
    return {
        "opened": opened,
        "held": held,
        "rss_with": rss_with,
        "nginx_with": nginx_with,
        "with": loaded,
        "after": after,
    }


def _wanted(holders: list[Player], games: list[str], count: int) -> list[tuple[str, str]]:
    """`count` stream paths with their player's cookie, as many per player as the app allows."""
    wanted = []
    for player, game_id in zip(holders, games, strict=True):
        cookie = "; ".join(f"{k}={v}" for k, v in player.cookies.items())
        wanted += [(f"/api/games/{game_id}/events", cookie)] * STREAMS_PER_PLAYER
    return wanted[:count]


def _brief(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("moves", "moves_per_s", "p50_ms", "p95_ms", "p99_ms", "errors")
    return {k: run[k] for k in keys}


def _nginx_rss(stack: PushStack) -> int:
    pid_file = stack.home / "nginx" / "nginx.pid"
    try:
        master = int(pid_file.read_text())
    except (OSError, ValueError):
        return 0
    return sum(rss(pid) for pid in [master, *children(master)])
