"""The push benchmark's waiting cost: both game pages open, nobody moves, every DynamoDB call."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from bench.harness.calls import capacity, difference
from bench.load import Player
from bench.suites.common.browsers import launch
from bench.suites.push.pages import new_game, open_screen, streaming


def waiting(
    url: str, calls_dir: Path, host: Player, opponent: Player, seconds: float
) -> dict[str, Any]:
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
