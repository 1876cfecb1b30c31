"""The push benchmark's app CPU per game at a human pace, push on and push off at once."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Browser

from bench.flows import WIN_IN_7
from bench.harness.calls import difference
from bench.harness.instances import PushStack
from bench.load import Player
from bench.suites.push.pages import CLICK_JS, ENABLED_JS, SEEN_JS, new_game, open_screen, streaming
from bench.suites.push.settings import HUMAN_PACE


def human_pace(
    stack: PushStack, browser: Browser, players: list[Player], games_per_mode: int
) -> dict[str, Any]:
    """Games of 7 moves, a move every 3 s, in real pages, push on and push off at once; the
    CPU of all of each mode's gunicorn processes (masters and workers, web and stream) and
    their DynamoDB units, from opening the pages to the last move on both screens."""
    games = _new_games(stack, players, games_per_mode)
    time.sleep(0.6)  # the invites' and accepts' counts are written
    used_before = {mode: stack.capacity(mode, settle=0.0) for mode in ("on", "off")}
    cpu_before = {mode: stack.cpu(mode) for mode in ("on", "off")}
    started = time.monotonic()
    pages = [
        [open_screen(browser, stack.url(mode), p, game_id) for p in (opponent, host)]
        for mode, game_id, host, opponent in games
    ]
    pairs = zip(games, pages, strict=True)
    streams = [[streaming(s, g[1], probe=False) for s in pair] for g, pair in pairs]
    late = _play(pages)
    elapsed = time.monotonic() - started
    cpu_after = {mode: stack.cpu(mode) for mode in ("on", "off")}
    used_after = {mode: stack.capacity(mode) for mode in ("on", "off")}
    out: dict[str, Any] = {
        "games_per_mode": games_per_mode,
        "seconds": elapsed,
        "late_s_max": max(late),
        "pace_s": HUMAN_PACE,
    }
    for mode in ("on", "off"):
        mine = [pages[i] for i, game in enumerate(games) if game[0] == mode]
        opened = all(all(streams[i]) for i, game in enumerate(games) if game[0] == mode)
        cpu = {k: cpu_after[mode][k] - cpu_before[mode][k] for k in cpu_after[mode]}
        used = difference(used_after[mode], used_before[mode])
        out[mode] = _per_game(cpu, used, mine, games_per_mode) | {"page_streams": opened}
    for screen in (s for pair in pages for s in pair):
        screen.close()
    out["ratio"] = out["on"]["cpu_ms_per_game"] / (out["off"]["cpu_ms_per_game"] or float("nan"))
    # Both modes run the same four processes over the same window, so their idle ticking
    # (gunicorn's, the workers') cancels out of the difference.
    out["difference_ms"] = out["on"]["cpu_ms_per_game"] - out["off"]["cpu_ms_per_game"]
    return out


def _new_games(stack: PushStack, players: list[Player], per_mode: int) -> list[tuple[Any, ...]]:
    """Invited and accepted games, push on and off in turn: (mode, game id, host, opponent)."""
    games = []
    for i in range(2 * per_mode):
        mode = ("on", "off")[i % 2]
        host, opponent = players[2 * i], players[2 * i + 1]
        games.append((mode, new_game(stack.url(mode), host, opponent), host, opponent))
    return games


def _play(pages: list[list[Any]]) -> list[float]:
    """Click each game's moves on its pages at a human pace; return how late each click was."""
    # Every game moves every HUMAN_PACE seconds, the games spread evenly across that time.
    t0 = time.monotonic() + 0.5
    due = sorted(
        (t0 + k * HUMAN_PACE + g * HUMAN_PACE / len(pages), g, k)
        for g in range(len(pages))
        for k in range(len(WIN_IN_7))
    )
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
    for pair in pages:  # the last move on both screens
        for screen in pair:
            screen.page.wait_for_function(SEEN_JS, arg=WIN_IN_7[-1], timeout=10_000)
    time.sleep(0.5)
    return late


def _per_game(
    cpu: dict[str, float], used: dict[str, Any], pages: list[list[Any]], games: int
) -> dict[str, Any]:
    """A mode's CPU, units, calls, polls and stream requests, per game."""
    return {
        "cpu_s": cpu,
        "cpu_ms_per_game": 1000 * sum(cpu.values()) / games,
        "rcu_per_game": used["rcu"] / games,
        "wcu_per_game": used["wcu"] / games,
        "calls_per_game": used["calls"] / games,
        "by_operation": used["by_operation"],
        "polls_per_game": sum(s.polls for pair in pages for s in pair) / games,
        "stream_requests_per_game": sum(s.stream_requests for pair in pages for s in pair) / games,
    }
