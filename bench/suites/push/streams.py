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
    wanted = []
    for player, game_id in zip(holders, games, strict=True):
        cookie = "; ".join(f"{k}={v}" for k, v in player.cookies.items())
        wanted += [(f"/api/games/{game_id}/events", cookie)] * STREAMS_PER_PLAYER
    wanted = wanted[:count]
    runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

    def moving() -> dict[str, Any]:  # bench/load.py's load, in one process for all runs
        done: dict[str, Any] = pool.submit(load.run, url, movers, seconds, 20_000).result(
            seconds + 120
        )
        return done

    pool.submit(load.run, url, movers, 2, 2000).result(120)  # warm-up
    runs["without"].append(moving())
    time.sleep(0.5)
    rss_before, nginx_before = stack.stream_rss(), _nginx_rss(stack)
    holder = StreamHolder(url, wanted, max_seconds=120 + 10 * seconds)
    opened = holder.open()
    try:
        time.sleep(1.0)
        rss_with, nginx_with = stack.stream_rss(), _nginx_rss(stack)
        for _ in range(2):
            runs["with"].append(moving())
        held = holder.close()
        time.sleep(1.0)
        runs["without"].append(moving())
    finally:
        holder.close()
        pool.shutdown()
    per_thousand = (rss_with - rss_before) / max(opened["open"], 1) * 1000
    quiet = [r["p99_ms"] for r in runs["without"]]
    loaded = [r["p99_ms"] for r in runs["with"]]
    return {
        "asked": count,
        "opened": opened,
        "held": held,
        "rss_before": rss_before,
        "rss_with": rss_with,
        "rss_per_1000": per_thousand,
        "nginx_rss_per_1000": (nginx_with - nginx_before) / max(opened["open"], 1) * 1000,
        "runs": {k: [_brief(r) for r in v] for k, v in runs.items()},
        # Each run with streams against the run without them on its side (before, after).
        "p99_ratios": [w / q for w, q in zip(loaded, quiet, strict=True)],
    }


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
