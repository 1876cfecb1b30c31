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

`python -m bench.push --quick` runs it alone with small sizes (two minutes or so) and
writes JSON and Markdown to /tmp (--out); `make bench` runs it at full size and puts it in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import logging
import math
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, sync_playwright

from . import flood, load
from .flows import PASSWORD, TIE_IN_9, WIN_IN_7
from .load import ApiBrowser, Player
from .pages import launch
from .push_stack import PushStack, capacity, children, push_stack, rss
from .stream_holder import StreamHolder

log = logging.getLogger("bench.push")

# Targets, from the issue.
TARGET_P50_MS, TARGET_P95_MS = 50.0, 150.0
TARGET_WAIT_RCU = 1.0
TARGET_STREAMS_P99_RATIO = 1.25
TODAY_WAIT_RCU = 15.0  # polling, from the waiting benchmark
TODAY_LATENCY = "0.17–2.5 s (the 2 s poll)"

# Seconds before a click, drawn at random: with push off the move must land anywhere in the
# other page's 2 s poll cycle (back-to-back moves would lock the two pages' cycles together);
# with push on nothing waits on a cycle, so a short pause keeps the run short.
PAUSE_ON = (0.1, 0.3)
PAUSE_OFF = (0.0, 2.0)
HUMAN_PACE = 3.0  # seconds between moves in the CPU comparison
STREAMS_PER_PLAYER = 8  # the app's limit per player and process (tictactoe/services/hub.py)
SIGNUP_FLOOD_SOURCE = "127.0.2.{}"  # loopback addresses of the sign-up floods


@dataclass
class Sizes:
    moves: int = 30  # moves per latency run (games of 9, the last one cut short)
    wait_seconds: float = 150.0  # the waiting window (beside the rest): one backstop poll
    cpu_games: int = 2  # games per mode in the CPU comparison
    streams: int = 2000  # streams held open
    load_seconds: float = 5.0  # each move-p99 run
    flood_rate: float = flood.RATE  # sign-ups a second during the flooded latency run

    @classmethod
    def quick(cls) -> Sizes:
        return cls(moves=12, wait_seconds=30.0, cpu_games=1, streams=400, load_seconds=3.0)


# -- in the pages ----------------------------------------------------------------------------

# Before any of the page's scripts: a clock shared by all pages (epoch ms, sub-ms), and every
# EventSource the page opens timestamps its `game` events (how many marks the board has).
INIT_JS = """
(() => {
  try { performance.setResourceTimingBufferSize(100000); } catch (e) {}
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = { events: [], streams: 0, seen: {}, frame: {}, clicks: {} };
  const Real = window.EventSource;
  if (!Real) return;
  function Watched(url, options) {
    const source = new Real(url, options);
    bench.streams += 1;
    source.addEventListener("game", (event) => {
      let marks = null;
      try { marks = JSON.parse(event.data).board.filter(Boolean).length; } catch (e) {}
      bench.events.push([now(), marks]);
    });
    return source;
  }
  Watched.prototype = Real.prototype;
  Object.assign(Watched, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
  window.EventSource = Watched;
})();
"""
# Once the page is loaded: when each cell first shows a mark, and the next animation frame.
OBSERVE_JS = """
() => {
  const bench = window.__bench;
  const now = () => performance.timeOrigin + performance.now();
  const cells = [...document.querySelectorAll("#board button.cell")];
  cells.forEach((cell, i) => { if (cell.textContent.trim()) bench.seen[i] = bench.frame[i] = 0; });
  new MutationObserver(() => {
    const at = now();
    cells.forEach((cell, i) => {
      if (i in bench.seen || !cell.textContent.trim()) return;
      bench.seen[i] = at;
      requestAnimationFrame(() => { bench.frame[i] = now(); });
    });
  }).observe(document.getElementById("board"),
             { subtree: true, childList: true, characterData: true });
  return document.visibilityState;
}
"""
ENABLED_JS = """c => { const b = document.querySelector(`#board button.cell[value="${c}"]`);
  return !!b && !b.disabled; }"""
CLICK_JS = """c => { const b = document.querySelector(`#board button.cell[value="${c}"]`);
  window.__bench.clicks[c] = performance.timeOrigin + performance.now(); b.click(); }"""
SEEN_JS = "c => window.__bench.seen[c] !== undefined"
# The page plays its own moves: each of `turns` ([move number, cell, pause ms]) once its cell
# is enabled (the page shows the other player's last move), after the pause. In the page, so
# that no round trip to Python sits between two moves.
AUTOPLAY_JS = """turns => {
  const bench = window.__bench, board = document.getElementById("board");
  let next = 0, pending = false;
  const button = (c) => board.querySelector(`button.cell[value="${c}"]`);
  const tick = () => {
    if (pending || next >= turns.length) return;
    const [, cell, pause] = turns[next];
    if (button(cell).disabled) return;
    pending = true;
    setTimeout(() => {
      bench.clicks[cell] = performance.timeOrigin + performance.now();
      button(cell).click();
      next += 1;
      pending = false;
    }, pause);
  };
  new MutationObserver(tick).observe(board, { subtree: true, childList: true, attributes: true });
  tick();
}"""
# Everything a page timed: its clicks, what it saw and when, its stream's events, its moves'
# POSTs (Resource Timing: start and end, on the same clock).
READ_JS = """() => { const b = window.__bench, origin = performance.timeOrigin;
  const posts = performance.getEntriesByType("resource").filter((r) => r.name.endsWith("/moves"))
    .map((r) => [origin + r.startTime, origin + r.responseEnd]);
  return { clicks: b.clicks, seen: b.seen, frame: b.frame, events: b.events, posts }; }"""
STREAMS_JS = "() => window.__bench.streams"
CONNECTED_JS = "() => window.__bench.events.length > 0"
PROBE_JS = "id => { window.__probe = new EventSource(`/api/games/${id}/events`); }"


@dataclass
class Screen:
    """One player's game page, and what it asked for."""

    page: Page
    polls: int = 0
    stream_requests: int = 0
    visibility: str = ""
    failures: list[str] = field(default_factory=list)  # loads that had to be done again

    def close(self) -> None:
        self.page.context.close()


def open_screen(browser: Browser, url: str, player: Player, game_id: str) -> Screen:
    """Open the game page in a fresh context signed in as `player` (their session cookie)."""
    context = browser.new_context(base_url=url)
    context.add_cookies([{"name": k, "value": v, "url": url} for k, v in player.cookies.items()])
    context.add_init_script(INIT_JS)
    context.set_default_timeout(20_000)
    screen = Screen(context.new_page())
    poll_path, stream_path = f"/api/games/{game_id}", f"/api/games/{game_id}/events"

    def count(request: Any) -> None:
        path = urlsplit(request.url).path
        if request.method == "GET" and path == poll_path and request.resource_type == "fetch":
            screen.polls += 1
        elif path == stream_path or path == "/api/me/events":
            screen.stream_requests += 1

    screen.page.on("request", count)
    for _ in range(3):  # a page that did not come (a 5xx on a loaded machine) is reloaded
        answer = screen.page.goto(f"/games/{game_id}", wait_until="load")
        if answer is not None and answer.ok and screen.page.locator("#board").count():
            break
        status = answer.status if answer is not None else "no answer"
        screen.failures.append(f"{status}: {screen.page.title()}")
        screen.page.wait_for_timeout(500)
    else:
        raise RuntimeError(f"the game page did not load: {screen.failures}")
    screen.visibility = screen.page.evaluate(OBSERVE_JS)
    return screen


def streaming(screen: Screen, game_id: str, probe: bool) -> bool:
    """Wait for the page's own stream to deliver its first event; return whether it has one.

    With `probe`, a page that opened no stream gets one of ours (an EventSource like any
    other), so that the push path's latency is measured even when the page polls."""
    page = screen.page
    page.wait_for_timeout(300)  # a page opens its stream as it starts
    own = page.evaluate(STREAMS_JS) > 0
    if not own and probe:
        page.evaluate(PROBE_JS, game_id)
    if own or probe:
        page.wait_for_function(CONNECTED_JS, timeout=10_000)
    return own


def new_game(url: str, host: Player, opponent: Player) -> str:
    """Invite and accept through the API; the opponent (X) moves first."""
    inviter, invited = ApiBrowser(url, host), ApiBrowser(url, opponent)
    game = inviter.take(inviter.post("/api/games", {"opponent": opponent.name}), 201)
    invited.take(invited.post(f"/api/games/{game['id']}/accept", None), 200)
    for side in (inviter, invited):
        if side.connection is not None:
            side.connection.close()
    return str(game["id"])


# -- 1. move to screen -----------------------------------------------------------------------


def screens(url: str, host: Player, opponent: Player, moves: int, pause: tuple[float, float],
            probe: bool, seed: int = 1) -> dict[str, Any]:  # fmt: skip
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
                cells = TIE_IN_9[: moves - len(records)]
                for side, screen in enumerate(pair):  # X (the opponent) moves first
                    turns = [[n, c, round(rng.uniform(*pause) * 1000)]
                             for n, c in enumerate(cells) if n % 2 == side]  # fmt: skip
                    screen.page.evaluate(AUTOPLAY_JS, turns)
                pair[len(cells) % 2].page.wait_for_function(
                    SEEN_JS, arg=cells[-1], timeout=len(cells) * 10_000
                )
                pair[0].page.wait_for_timeout(300)  # the last frame, the last POST's timing
                records += timings(cells, [s.page.evaluate(READ_JS) for s in pair])
                for screen in pair:
                    screen.close()
        finally:
            browser.close()
    return {"records": records, "page_streams": all(own_streams), "probe": probe and not
            all(own_streams), "visibility": sorted(visibility), "page_failures": failures,
            "seconds": time.monotonic() - started} | latency_summary(records)  # fmt: skip


def timings(cells: tuple[int, ...], seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each move's times (epoch ms) from what the two pages (X's first) recorded."""
    records = []
    for number, cell in enumerate(cells):
        mover, watcher = seen[number % 2], seen[(number + 1) % 2]
        key = str(cell)
        clicked = mover["clicks"][key]
        posts = [end for start, end in mover["posts"] if start >= clicked - 5]
        events = [at for at, marks in watcher["events"] if marks == number + 1]
        records.append({"click": clicked, "posted": min(posts) if posts else None,
                        "seen": watcher["seen"].get(key), "frame": watcher["frame"].get(key),
                        "event": min(events) if events else None})  # fmt: skip
    return records


def latency_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Percentiles (ms) of click -> other screen, POST answered -> other screen, and
    click -> the stream's event in the other browser."""

    def spans(key: str, start: str) -> list[float]:
        return [r[key] - r[start] for r in records if r.get(key) and r.get(start)]

    out: dict[str, Any] = {"moves": len(records)}
    for name, key, start in (("screen", "seen", "click"), ("frame", "frame", "click"),
                             ("after_post", "seen", "posted"), ("post", "posted", "click"),
                             ("event", "event", "click")):  # fmt: skip
        values = spans(key, start)
        out[name] = percentiles(values) if values else None
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pct(p: float) -> float:  # nearest rank
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"n": len(ordered), "p50": statistics.median(ordered), "p95": pct(95), "p99": pct(99),
            "min": ordered[0], "max": ordered[-1]}  # fmt: skip


def flood_signups(url: str, source: str, seconds: float, rate: float | None, stop: Any,
                  out: Any) -> None:  # fmt: skip
    """Sign up new names from `source` at `rate` a second over flood.CONNECTIONS keep-alive
    connections, until `stop` is set or `seconds` pass (at most flood.MAX_REQUESTS)."""
    where = urlsplit(url)
    if not ipaddress.ip_address(where.hostname or "").is_loopback:
        raise ValueError("the flood runs against loopback only")
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    sent = iter(range(flood.MAX_REQUESTS))
    tag = source.replace(".", "")

    def token(connection: http.client.HTTPConnection, cookie: str) -> tuple[str, str]:
        connection.request("GET", "/api/csrf", headers={"Cookie": cookie} if cookie else {})
        answer = connection.getresponse()
        csrf = json.loads(answer.read())["csrf_token"]
        return csrf, answer.getheader("Set-Cookie", "").split(";", 1)[0] or cookie

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30,
                                                source_address=(source, 0))  # fmt: skip
        csrf, cookie = token(connection, "")
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
                csrf, cookie = token(connection, fresh or cookie)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(flood.CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    total = sum(statuses.values())
    out.put({"source": source, "seconds": took, "requests": total,
             "per_s": total / took if took else 0.0,
             "statuses": {str(k): v for k, v in sorted(statuses.items())}})  # fmt: skip


def flooded_screens(url: str, host: Player, opponent: Player, moves: int, rate: float,
                    source: str) -> dict[str, Any]:  # fmt: skip
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


# -- 2. waiting ------------------------------------------------------------------------------


def waiting(url: str, calls_dir: Path, host: Player, opponent: Player,
            seconds: float) -> dict[str, Any]:  # fmt: skip
    """Both game pages open, nobody moves (it is the opponent's turn): count every DynamoDB
    call of the "wait" instances' processes, web and stream, for `seconds`.

    Runs in a process of its own (its own chromium), beside the other measurements: the
    "wait" instances serve these two pages and nothing else."""
    game_id = new_game(url, host, opponent)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            pair = [open_screen(browser, url, player, game_id) for player in (host, opponent)]
            own = [streaming(s, game_id, probe=False) for s in pair]
            pair[0].page.wait_for_timeout(1000)  # the stream opens' own reads are done
            before, polls = capacity(calls_dir, "wait"), [s.polls for s in pair]
            started = time.monotonic()
            pair[0].page.wait_for_timeout(seconds * 1000)
            after = capacity(calls_dir, "wait")  # the pages stay open till the counts are in
            elapsed = time.monotonic() - started
            polls = [s.polls - n for s, n in zip(pair, polls, strict=True)]
            streams = [s.stream_requests for s in pair]
        finally:
            browser.close()
    used = difference(after, before)
    return used | {
        "seconds": elapsed,
        "rcu_per_minute": used["rcu"] * 60 / elapsed,
        "calls_per_minute": used["calls"] * 60 / elapsed,
        "polls": {"waiting": polls[0], "to move": polls[1]},
        "stream_requests": {"waiting": streams[0], "to move": streams[1]},
        "page_streams": all(own),
    }


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Calls and units between two PushStack.capacity readings, in total and per kind."""
    kinds = {}
    for key, used in after["by_type"].items():
        was = before["by_type"].get(key, {"calls": 0, "rcu": 0.0, "wcu": 0.0})
        delta = {k: used[k] - was[k] for k in ("calls", "rcu", "wcu")}
        if delta["calls"]:
            kinds[key] = delta
    operations = {k: n - before["by_operation"].get(k, 0)
                  for k, n in after["by_operation"].items()}  # fmt: skip
    waited = {k: t - before.get("seconds", {}).get(k, 0.0)
              for k, t in after.get("seconds", {}).items()}  # fmt: skip
    return {
        "calls": after["calls"] - before["calls"],
        "rcu": after["rcu"] - before["rcu"],
        "wcu": after["wcu"] - before["wcu"],
        "by_type": kinds,
        "by_operation": {k: n for k, n in operations.items() if n},
        # Mean milliseconds each kind of call waited for DynamoDB.
        "mean_ms": {k: 1000 * waited.get(k, 0.0) / n for k, n in operations.items() if n},
    }


# -- 3. open streams -------------------------------------------------------------------------


def stream_players(stack: PushStack, count: int) -> tuple[list[Player], list[str]]:
    """Sign up enough players to hold `count` streams (8 each) and pair them in games.

    Through the push-off instances (the same tables and session key), beside the push-off
    latency (a figure of seconds: the 2 s poll)."""
    needed = max(2, math.ceil(count / STREAMS_PER_PLAYER))
    needed += needed % 2
    players = stack.register([f"s{i}x{random.randrange(10**6)}" for i in range(needed)], "off")
    url, half = stack.url("off"), needed // 2
    with ThreadPoolExecutor(4) as pool:
        games = list(pool.map(lambda i: new_game(url, players[i], players[half + i]),
                              range(half)))  # fmt: skip
    return players, games + games


def open_streams(stack: PushStack, movers: list[Player], holders: list[Player],
                 games: list[str], count: int, seconds: float) -> dict[str, Any]:  # fmt: skip
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


# -- 4. app CPU per game at a human pace -----------------------------------------------------


def human_pace(stack: PushStack, browser: Browser, players: list[Player],
               games_per_mode: int) -> dict[str, Any]:  # fmt: skip
    """Games of 7 moves, a move every 3 s, in real pages, push on and push off at once; the
    CPU of all of each mode's gunicorn processes (masters and workers, web and stream) and
    their DynamoDB units, from opening the pages to the last move on both screens."""
    games = []  # (mode, game id, host, opponent)
    for i in range(2 * games_per_mode):
        mode = ("on", "off")[i % 2]
        host, opponent = players[2 * i], players[2 * i + 1]
        games.append((mode, new_game(stack.url(mode), host, opponent), host, opponent))
    time.sleep(0.6)  # the invites' and accepts' counts are written
    used_before = {mode: stack.capacity(mode, settle=0.0) for mode in ("on", "off")}
    cpu_before = {mode: stack.cpu(mode) for mode in ("on", "off")}
    started = time.monotonic()
    pages = []
    for mode, game_id, host, opponent in games:
        url = stack.url(mode)
        pages.append([open_screen(browser, url, p, game_id) for p in (opponent, host)])
    streams = [[streaming(s, games[i][1], probe=False) for s in pair]
               for i, pair in enumerate(pages)]  # fmt: skip
    # Every game moves every HUMAN_PACE seconds, the games spread evenly across that time.
    t0 = time.monotonic() + 0.5
    due = sorted(
        (t0 + k * HUMAN_PACE + g * HUMAN_PACE / len(games), g, k)
        for g in range(len(games)) for k in range(len(WIN_IN_7))
    )  # fmt: skip
    late = []
    for when, g, k in due:
        time.sleep(max(0.0, when - time.monotonic()))
        mover = pages[g][k % 2].page
        mover.wait_for_function(ENABLED_JS, arg=WIN_IN_7[k], timeout=10_000)
        late.append(max(0.0, time.monotonic() - when))
        mover.evaluate(CLICK_JS, WIN_IN_7[k])
    for pair in pages:  # the last move on both screens
        for screen in pair:
            screen.page.wait_for_function(SEEN_JS, arg=WIN_IN_7[-1], timeout=10_000)
    time.sleep(0.5)
    elapsed = time.monotonic() - started
    cpu_after = {mode: stack.cpu(mode) for mode in ("on", "off")}
    used_after = {mode: stack.capacity(mode) for mode in ("on", "off")}
    out: dict[str, Any] = {"games_per_mode": games_per_mode, "seconds": elapsed,
                           "late_s_max": max(late), "pace_s": HUMAN_PACE}  # fmt: skip
    for mode in ("on", "off"):
        mine = [i for i, game in enumerate(games) if game[0] == mode]
        cpu = {k: cpu_after[mode][k] - cpu_before[mode][k] for k in cpu_after[mode]}
        used = difference(used_after[mode], used_before[mode])
        out[mode] = {
            "cpu_s": cpu,
            "cpu_ms_per_game": 1000 * sum(cpu.values()) / games_per_mode,
            "rcu_per_game": used["rcu"] / games_per_mode,
            "wcu_per_game": used["wcu"] / games_per_mode,
            "calls_per_game": used["calls"] / games_per_mode,
            "by_operation": used["by_operation"],
            "polls_per_game": sum(s.polls for i in mine for s in pages[i]) / games_per_mode,
            "stream_requests_per_game": sum(s.stream_requests for i in mine for s in pages[i])
            / games_per_mode,
            "page_streams": all(all(streams[i]) for i in mine),
        }
    for pair in pages:
        for screen in pair:
            screen.close()
    out["ratio"] = out["on"]["cpu_ms_per_game"] / (out["off"]["cpu_ms_per_game"] or float("nan"))
    # Both modes run the same four processes over the same window, so their idle ticking
    # (gunicorn's, the workers') cancels out of the difference.
    out["difference_ms"] = out["on"]["cpu_ms_per_game"] - out["off"]["cpu_ms_per_game"]
    return out


# -- all of it -------------------------------------------------------------------------------


def run(sizes: Sizes, endpoint: str | None = None, s3_endpoint: str | None = None,
        workdir: Path | None = None) -> dict[str, Any]:  # fmt: skip
    """Start the push stack, measure the four figures, stop it; return the results.

    The waiting window runs beside everything else, on instances of its own; the push-off
    latency runs beside the stream players' sign-ups (on the same push-off instances: the
    poll's 2 s dwarfs what they add). Everything else runs alone."""
    started = time.monotonic()
    phases: dict[str, float] = {}
    results: dict[str, Any] = {"sizes": asdict(sizes), "phases": phases,
                               "load_before": os.getloadavg()[0]}  # fmt: skip

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
        log.info("push: waiting %.0f s (push on) on instances of its own, beside the rest",
                 sizes.wait_seconds)  # fmt: skip
        waited = beside.submit(waiting, stack.url("wait"), stack.calls_dir, *watchers,
                               sizes.wait_seconds)  # fmt: skip
        mark = phase("stack and sign-ups", started)
        log.info("push: move to screen, push on, %d moves", sizes.moves)
        before = stack.capacity("on")
        results["latency_on"] = screens(stack.url("on"), host, opponent, sizes.moves, PAUSE_ON,
                                        probe=True)  # fmt: skip
        results["latency_on"]["dynamodb"] = difference(stack.capacity("on"), before)
        mark = phase("latency on", mark)
        log.info("push: move to screen during a sign-up flood")
        results["latency_flooded"] = flooded_screens(
            stack.url("on"), host, opponent, sizes.moves, sizes.flood_rate,
            SIGNUP_FLOOD_SOURCE.format(random.randrange(1, 250)),
        )  # fmt: skip
        mark = phase("latency flooded", mark)
        log.info("push: move to screen, push off, while %d stream players sign up there",
                 math.ceil(sizes.streams / STREAMS_PER_PLAYER))  # fmt: skip
        with ProcessPoolExecutor(2, mp_context=spawn) as pool, ThreadPoolExecutor(1) as side:
            # Two games at once, each half the moves: the pauses that sample the poll cycle
            # take most of the time.
            halves = (math.ceil(sizes.moves / 2), sizes.moves // 2)
            off = [pool.submit(screens, stack.url("off"), h, o, n, PAUSE_OFF, False, seed)
                   for (h, o), n, seed in zip(((host, opponent), tuple(second)),
                                              halves, (3, 4), strict=True) if n]  # fmt: skip
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
        results["streams"] = open_streams(stack, load_players, holders, games, sizes.streams,
                                          sizes.load_seconds)  # fmt: skip
        mark = phase("open streams", mark)
        results["waiting"] = waited.result(timeout=sizes.wait_seconds + 300)
        phase("waiting (beside the rest), what was left of it", mark)
    results["seconds"] = time.monotonic() - started
    results["load_after"] = os.getloadavg()[0]
    return results


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One latency run made of several played at once."""
    records = [r for run in runs for r in run["records"]]
    return {"records": records, "page_streams": all(r["page_streams"] for r in runs),
            "probe": any(r["probe"] for r in runs),
            "visibility": sorted({v for r in runs for v in r["visibility"]}),
            "seconds": max(r["seconds"] for r in runs), "games_at_once": len(runs),
            "page_failures": [f for r in runs for f in r["page_failures"]],
            } | latency_summary(records)  # fmt: skip


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.push")
    parser.add_argument("--quick", action="store_true", help="small sizes (about 2 minutes)")
    defaults = Sizes()
    parser.add_argument("--moves", type=int, help=f"moves per latency run ({defaults.moves})")
    parser.add_argument("--wait-seconds", type=float,
                        help=f"the waiting window ({defaults.wait_seconds:.0f})")  # fmt: skip
    parser.add_argument("--cpu-games", type=int, help=f"games per mode ({defaults.cpu_games})")
    parser.add_argument("--streams", type=int, help=f"streams held open ({defaults.streams})")
    parser.add_argument("--load-seconds", type=float, help="each move-p99 run (5)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bench-push",
                        help="where results.json and push.md go (a directory)")  # fmt: skip
    args = parser.parse_args()
    sizes = Sizes.quick() if args.quick else Sizes()
    for name in ("moves", "wait_seconds", "cpu_games", "streams", "load_seconds"):
        if getattr(args, name) is not None:
            setattr(sizes, name, getattr(args, name))
    results = run(sizes)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    from .push_report import markdown

    text = "\n".join(markdown(results))
    (args.out / "push.md").write_text(text)
    print(text)
    print(f"\nWrote {args.out / 'results.json'} and {args.out / 'push.md'} "
          f"in {results['seconds']:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
