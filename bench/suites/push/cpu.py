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
    streams = [
        [streaming(s, games[i][1], probe=False) for s in pair] for i, pair in enumerate(pages)
    ]
    # Every game moves every HUMAN_PACE seconds, the games spread evenly across that time.
    t0 = time.monotonic() + 0.5
    due = sorted(
        (t0 + k * HUMAN_PACE + g * HUMAN_PACE / len(games), g, k)
        for g in range(len(games))
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
    time.sleep(0.5)
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
