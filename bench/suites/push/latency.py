"""The push benchmark's move-to-screen latency: two pages play, alone or during a sign-up flood."""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import random
import statistics
import threading
import time
from collections import Counter
from typing import Any

from playwright.sync_api import sync_playwright

from bench.flows import PASSWORD, TIE_IN_9
from bench.load import Player
from bench.suites.common import flood
from bench.suites.common.browsers import launch
from bench.suites.push.pages import AUTOPLAY_JS, READ_JS, SEEN_JS, new_game, open_screen, streaming
from bench.suites.push.settings import PAUSE_ON


def screens(
    url: str,
    host: Player,
    opponent: Player,
    moves: int,
    pause: tuple[float, float],
    probe: bool,
    seed: int = 1,
) -> dict[str, Any]:
    """Play `moves` moves between two pages; time each from click to the other screen."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    own_streams, visibility, failures = [], set(), []
    started = time.monotonic()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            while len(records) < moves:
                game_id = new_game(url, host, opponent)
                pair = [open_screen(browser, url, player, game_id) for player in (opponent, host)]
                own_streams += [streaming(s, game_id, probe) for s in pair]
                visibility |= {s.visibility for s in pair}
                failures += [f for s in pair for f in s.failures]
                records += _play(pair, TIE_IN_9[: moves - len(records)], rng, pause)
        finally:
            browser.close()
    return {
        "records": records,
        "page_streams": all(own_streams),
        "probe": probe and not all(own_streams),
        "visibility": sorted(visibility),
        "page_failures": failures,
        "seconds": time.monotonic() - started,
    } | latency_summary(records)


def _play(
    pair: list[Any], cells: tuple[int, ...], rng: random.Random, pause: tuple[float, float]
) -> list[dict[str, Any]]:
    """Let the pages play `cells` on their own, pausing at random; return each move's times."""
    for side, screen in enumerate(pair):  # X (the opponent) moves first
        turns = [
            [n, c, round(rng.uniform(*pause) * 1000)] for n, c in enumerate(cells) if n % 2 == side
        ]
        screen.page.evaluate(AUTOPLAY_JS, turns)
    pair[len(cells) % 2].page.wait_for_function(SEEN_JS, arg=cells[-1], timeout=len(cells) * 10_000)
    pair[0].page.wait_for_timeout(300)  # the last frame, the last POST's timing
    records = timings(cells, [s.page.evaluate(READ_JS) for s in pair])
    for screen in pair:
        screen.close()
    return records


def timings(cells: tuple[int, ...], seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each move's times (epoch ms) from what the two pages (X's first) recorded."""
    records = []
    for number, cell in enumerate(cells):
        mover, watcher = seen[number % 2], seen[(number + 1) % 2]
        key = str(cell)
        clicked = mover["clicks"][key]
        posts = [end for start, end in mover["posts"] if start >= clicked - 5]
        events = [at for at, marks in watcher["events"] if marks == number + 1]
        records.append(
            {
                "click": clicked,
                "posted": min(posts) if posts else None,
                "seen": watcher["seen"].get(key),
                "frame": watcher["frame"].get(key),
                "event": min(events) if events else None,
            }
        )
    return records


def latency_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Percentiles (ms) of click -> other screen, POST answered -> other screen, and
    click -> the stream's event in the other browser."""

    def spans(key: str, start: str) -> list[float]:
        return [r[key] - r[start] for r in records if r.get(key) and r.get(start)]

    out: dict[str, Any] = {"moves": len(records)}
    for name, key, start in (
        ("screen", "seen", "click"),
        ("frame", "frame", "click"),
        ("after_post", "seen", "posted"),
        ("post", "posted", "click"),
        ("event", "event", "click"),
    ):
        values = spans(key, start)
        out[name] = percentiles(values) if values else None
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pct(p: float) -> float:  # nearest rank
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": pct(95),
        "p99": pct(99),
        "min": ordered[0],
        "max": ordered[-1],
    }


def _token(connection: http.client.HTTPConnection, cookie: str) -> tuple[str, str]:
    """A CSRF token, and the session cookie that goes with it."""
    connection.request("GET", "/api/csrf", headers={"Cookie": cookie} if cookie else {})
    answer = connection.getresponse()
    csrf = json.loads(answer.read())["csrf_token"]
    return csrf, answer.getheader("Set-Cookie", "").split(";", 1)[0] or cookie


def flood_signups(
    url: str, source: str, seconds: float, rate: float | None, stop: Any, out: Any
) -> None:
    """Sign up new names from `source` at `rate` a second over flood.CONNECTIONS keep-alive
    connections, until `stop` is set or `seconds` pass (at most flood.MAX_REQUESTS)."""
    where = flood.loopback_only(url)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    sent = iter(range(flood.MAX_REQUESTS))
    tag = source.replace(".", "")

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(
            where.hostname, where.port, timeout=30, source_address=(source, 0)
        )
        csrf, cookie = _token(connection, "")
        gap, due = (flood.CONNECTIONS / rate if rate else 0.0), time.perf_counter()
        while time.perf_counter() < deadline and not stop.is_set():
            n = next(sent, None)
            if n is None:
                break
            due += gap
            time.sleep(max(0.0, due - time.perf_counter()))
            body = json.dumps({"username": f"f{tag}x{index}x{n}", "password": PASSWORD})
            headers = {"Content-Type": "application/json", "X-CSRFToken": csrf, "Cookie": cookie}
            connection.request("POST", "/api/register", body, headers)
            response = connection.getresponse()
            response.read()
            fresh = response.getheader("Set-Cookie", "").split(";", 1)[0]
            with lock:
                statuses[response.status] += 1
            if response.status == 201:  # signed in as the new name: a new token, as a bot would
                csrf, cookie = _token(connection, fresh or cookie)
        connection.close()

    out.put(flood.run_workers(worker, source, statuses))


def flooded_screens(
    url: str, host: Player, opponent: Player, moves: int, rate: float, source: str
) -> dict[str, Any]:
    """The same latency run, while a process floods POST /api/register."""
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    flooder = context.Process(target=flood_signups, args=(url, source, 600.0, rate, stop, out))
    flooder.start()
    try:
        time.sleep(1.0)  # the flood gets going before the first move
        result = screens(url, host, opponent, moves, PAUSE_ON, probe=True, seed=2)
    finally:
        stop.set()
        got = out.get(timeout=60)
        flooder.join(10)
        if flooder.is_alive():
            flooder.kill()
    return result | {"flood": got}


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One latency run made of several played at once."""
    records = [r for run in runs for r in run["records"]]
    return {
        "records": records,
        "page_streams": all(r["page_streams"] for r in runs),
        "probe": any(r["probe"] for r in runs),
        "visibility": sorted({v for r in runs for v in r["visibility"]}),
        "seconds": max(r["seconds"] for r in runs),
        "games_at_once": len(runs),
        "page_failures": [f for r in runs for f in r["page_failures"]],
    } | latency_summary(records)
