"""What counting results costs (issue 12): the move that finishes a game, a resignation, a
claim, a player's page and the leaderboard, from the app's own calls on DynamoDB Local.

`python -m bench --only counting` runs it alone.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import defaultdict
from typing import Any

from flask import Flask

from bench.capacity import Recorder
from bench.flows import TIE_IN_9, WIN_IN_7, Browser, new_pair, play_game
from bench.harness.context import Context
from bench.harness.figures import AWS_MODEL

STAGE = "app"
DAY = 24 * 3600
log = logging.getLogger("bench")
BEFORE = 5  # WCU of the finishing move before issue 12 (one UpdateItem + both list entries)
CAP = 6  # what the issue lets counting add to a game


def measure(app: Flask, recorder: Recorder, runs: int) -> dict[str, list[dict[str, Any]]]:
    """Return, per kind of request, one capacity snapshot per run."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _ in range(runs):
        out["finishing move, first game"].append(_finishing_move(app, recorder, WIN_IN_7, False))
        out["finishing move (win)"].append(_finishing_move(app, recorder, WIN_IN_7, True))
        out["finishing move (tie)"].append(_finishing_move(app, recorder, TIE_IN_9, True))
        out |= {k: out[k] + [v] for k, v in _other_requests(app, recorder).items()}
    return dict(out)


def _finishing_move(
    app: Flask, recorder: Recorder, cells: tuple[int, ...], history: bool
) -> dict[str, Any]:
    host, opponent = new_pair(app)
    if history:  # both players on the ladder already: their entries move
        play_game(host, opponent, cells)
    host, opponent = (Browser(app.test_client(), p.name) for p in (host, opponent))
    found: dict[str, Any] = {}

    def step(name: str) -> None:
        if name == f"move {len(cells)}":
            found.update(recorder.snapshot())
        recorder.reset()

    play_game(host, opponent, cells, step)
    return found


def _other_requests(app: Flask, recorder: Recorder) -> dict[str, dict[str, Any]]:
    """Resign, claim, a player's page and the leaderboard, for players with a history."""
    host, opponent = new_pair(app)
    play_game(host, opponent, WIN_IN_7)
    me, other = (Browser(app.test_client(), p.name) for p in (host, opponent))
    me.log_in()
    other.log_in()
    games = app.extensions["tictactoe"].games
    used = {}

    def call(kind: str, method: str, path: str) -> None:
        recorder.reset()
        response = me.client.open(path, method=method, headers={"X-CSRFToken": me.csrf})
        assert response.status_code == 200, response.get_data(as_text=True)
        used[kind] = recorder.snapshot()

    game_id = me.invite(other.name)
    other.accept(game_id)
    call("resign", "POST", f"/api/games/{game_id}/resign")
    game_id = me.invite(other.name)
    other.accept(game_id)
    real = games.clock
    games.clock = lambda: time.time() + 3 * DAY + 60  # the opponent let the turn time out
    try:
        call("claim", "POST", f"/api/games/{game_id}/claim")
    finally:
        games.clock = real
    call("player page (GET /api/players/<name>)", "GET", f"/api/players/{other.name}")
    call("leaderboard", "GET", "/api/leaderboard")
    return used


def _median(snapshots: list[dict[str, Any]], key: str) -> float:
    return statistics.median(s["total"][key] for s in snapshots)


def run(context: Context) -> dict[str, Any]:
    log.info("counting results: finishing moves, resign, claim, player, leaderboard")
    return {"counting": measure(*context.app, context.runs)}


def sections(results: dict[str, Any]) -> list[str]:
    return markdown(results.get("counting"))


def markdown(results: dict[str, list[dict[str, Any]]] | None) -> list[str]:
    """Render the measurements as a docs/benchmarks.md section."""
    if not results:
        return []
    out = [
        "## Counting results (issue 12)",
        "",
        "The move that ends a game, a resignation and a claim read the game (0.5 RCU) and both "
        "players' ratings (one BatchGetItem), then write the game and both Users items in one "
        "TransactWriteItems. DynamoDB Local's units, median of "
        f"{len(next(iter(results.values())))} runs:",
        "",
        "| request | calls | RCU | WCU (DynamoDB Local) | WCU by table / index |",
        "|---|---|---|---|---|",
    ]
    for kind, snapshots in results.items():
        targets = sorted({t for s in snapshots for t in s["by_target"]})
        split = ", ".join(
            f"{t} {statistics.median(s['by_target'].get(t, {}).get('wcu', 0) for s in snapshots):g}"
            for t in targets
            if any(s["by_target"].get(t, {}).get("wcu") for s in snapshots)
        )
        calls, rcu, wcu = (_median(snapshots, k) for k in ("calls", "rcu", "wcu"))
        out.append(f"| {kind} | {calls:g} | {rcu:g} | {wcu:g} | {split or '–'} |")
    out += [
        "",
        "DynamoDB Local reports a transaction as 4 WCU per table whatever the number of items, "
        "and doubles or quadruples the index writes, so its figures overstate AWS's bill. "
        "Counted by hand as AWS bills it (2 WCU per transactional item, index writes at the "
        "usual rate; the bill model's figures from the same calls are in 'What AWS bills'): "
        + "; ".join(
            f"{k} {v} WCU, {v - BEFORE} more than before (the cap is {CAP})"
            for k, v in AWS_MODEL.items()
        )
        + ".",
        "",
    ]
    return out
