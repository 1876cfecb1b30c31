"""A 7-move win played through Flask's test client, timing the app's CPU per request kind.

Shared by the cuts and lighter suites, which compare the same requests with a change off and on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.flows import WIN_IN_7, Browser, FlowError

KINDS = ("move", "poll", "game page", "home page")


def timed_game(host: Browser, opponent: Browser, page_visits: int = 1) -> dict[str, list[float]]:
    """One 7-move win, invited and accepted (not counted); the CPU µs of each counted request:
    every move, two 304 polls after it, then each player's game page and home page,
    `page_visits` times each."""
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    game_id = host.invite(opponent.name)
    opponent.accept(game_id)
    host.poll(game_id)  # the host's page sees the accept
    players = (opponent, host)  # X, the opponent, moves first
    for turn, cell in enumerate(WIN_IN_7):
        mover, watcher = players[turn % 2], players[(turn + 1) % 2]
        sent = {"X-CSRFToken": mover.csrf, "X-Game-State": mover.state}
        path = f"/api/games/{game_id}/moves"
        moved = timed(
            times["move"], 200, mover.client.post, path, json={"cell": cell}, headers=sent
        )
        mover.state = moved.headers["ETag"].strip('"')
        if watcher.poll(game_id) != 200:
            raise FlowError(f"the other page did not see move {turn + 1}")
        seen = {"Accept": "application/json", "If-None-Match": f'"{mover.state}"'}
        for _ in range(2):
            timed(times["poll"], 304, mover.client.get, f"/api/games/{game_id}", headers=seen)
    for player in (host, opponent) * page_visits:
        timed(times["game page"], 200, player.client.get, f"/games/{game_id}")
        timed(times["home page"], 200, player.client.get, "/")
    return times


def timed(into: list[float], status: int, call: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Make one request; add its CPU µs (this process) to `into`; check its status."""
    before = time.process_time()
    response = call(*args, **kw)
    into.append((time.process_time() - before) * 1e6)
    if response.status_code != status:
        raise FlowError(f"{args[0]}: expected {status}, got {response.status_code}")
    return response
