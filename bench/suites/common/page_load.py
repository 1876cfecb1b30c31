"""The browser-flow load, push on: pairs playing complete games with pages, forms and streams.

Runs in a process of its own (`Runner`: one spawned process kept for all runs), one thread
per pair, closed loop: each player's next step waits for what its page would wait for. A
game: both players load home (each home page opens the player's own stream); the host
posts the invitation form and lands on the game page, whose stream opens; the invitation
shows on the opponent's home through its stream; the opponent posts the accept form and
lands on the game page; the host's page sees the accept on its stream. Then each move is the
page's POST, and the other page sees it on its stream (no polls). Games alternate a 7-move
win and a 9-move tie. A move's latency is its POST's round trip; "to the other screen" runs
until the other page's stream delivers it. Bounded by `seconds` and `max_moves`; loopback only.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

from bench.flows import TIE_IN_9, WIN_IN_7
from bench.load import Player, summary
from bench.suites.common.flood import loopback_only
from bench.suites.common.page_flow import Page, names_game


@dataclass
class _Tally:
    deadline: float
    max_moves: int
    moves: list[float] = field(default_factory=list)  # POST round trips inside the window
    screens: list[float] = field(default_factory=list)  # POST sent -> the other page's event
    moves_sent: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def going(self) -> bool:
        return time.perf_counter() < self.deadline and len(self.moves) < self.max_moves


def _play(host: Page, opponent: Page, cells: tuple[int, ...], tally: _Tally) -> None:
    host_home, opponent_home = host.home(), opponent.home()
    game_id = host.invite(opponent.name)
    host_home.close()  # the form left the home page
    streams = {host.name: host.watch(game_id)}
    opponent_home.wait_for(names_game(game_id))  # the invitation shows on the opponent's home
    opponent.accept(game_id)
    opponent_home.close()
    streams[opponent.name] = opponent.watch(game_id)
    streams[host.name].wait_for(lambda e: e.id == opponent.state)
    host.state = opponent.state
    try:
        players = (opponent, host)  # X, the opponent, moves first
        for turn, cell in enumerate(cells):
            if not tally.going():
                return
            mover, watcher = players[turn % 2], players[(turn + 1) % 2]
            started = time.perf_counter()
            mover.move(game_id, cell)
            answered = time.perf_counter()
            streams[watcher.name].wait_for(lambda e, m=mover: e.id == m.state)
            seen = time.perf_counter()
            watcher.state = mover.state
            with tally.lock:
                tally.moves_sent += 1
                if answered <= tally.deadline:
                    tally.moves.append(answered - started)
                    tally.screens.append(seen - started)
    finally:
        for stream in streams.values():
            stream.close()


def _slot(pool: deque[tuple[Page, Page]], tally: _Tally) -> None:
    """Play games back to back, each with the pair of players that waited longest."""
    games = 0
    try:
        while tally.going():
            with tally.lock:
                host, opponent = pool.popleft()
            try:
                _play(host, opponent, (WIN_IN_7, TIE_IN_9)[games % 2], tally)
            finally:
                with tally.lock:
                    pool.append((opponent, host))  # next time the other one invites
            games += 1
    except Exception as err:  # report it; the run's figures say how far it got
        with tally.lock:
            tally.errors.append(f"{type(err).__name__}: {err}")


def run(
    url: str, stream_url: str, players: list[Player], pairs: int, seconds: float, max_moves: int
) -> dict[str, Any]:
    """Let `pairs` games go on at once for `seconds` (or `max_moves`); return the figures.

    The players take turns: each game is played by the pair of `players` that waited longest,
    so that no player opens streams faster than the app's per-player cap allows (a player's
    closed streams count until the stream process writes to them)."""
    loopback_only(url)
    loopback_only(stream_url)
    pages = [Page(url, stream_url, p) for p in players]
    pool = deque(zip(pages[::2], pages[1::2], strict=True))
    cpu, started = time.process_time(), time.perf_counter()
    tally = _Tally(deadline=started + seconds, max_moves=max_moves)
    threads = [threading.Thread(target=_slot, args=(pool, tally)) for _ in range(pairs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    window = min(time.perf_counter(), tally.deadline) - started
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update(page.counts)
    return summary(tally.moves, [], window) | {
        "screen_p50_ms": _ms(tally.screens, 50),
        "screen_p99_ms": _ms(tally.screens, 99),
        "pairs": pairs,
        "players": len(players),
        "moves_sent": tally.moves_sent,
        "requests": dict(counts),
        "load_cpu_s": time.process_time() - cpu,
        "errors": tally.errors,
    }


def _ms(samples: list[float], pct: int) -> float:
    return summary(samples, [], 1.0)[f"p{pct}_ms"]


class Runner:
    """The load's own process, spawned once and kept for every run."""

    def __enter__(self) -> Runner:
        self.pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def measure(
        self,
        url: str,
        stream_url: str,
        players: list[Player],
        pairs: int,
        seconds: float,
        max_moves: int = 20_000,
    ) -> dict[str, Any]:
        future = self.pool.submit(run, url, stream_url, players, pairs, seconds, max_moves)
        return future.result(seconds + 120)
