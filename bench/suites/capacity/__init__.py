"""DynamoDB capacity per game (polling and push on), session checks, and waiting.

The app runs in this process (the same create_app gunicorn runs), so that the capacity
recorder sees which request each DynamoDB call served.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bench.flows import TIE_IN_9, WIN_IN_7
from bench.harness.context import Context
from bench.harness.figures import SAMPLE, capacity, cell
from bench.harness.rows import Row
from bench.suites.capacity import games
from bench.suites.capacity.tables import METHOD, sessions_table, usage_tables
from bench.suites.capacity.why import WHY

__all__ = ["METHOD", "STAGE", "WHY", "rows", "run", "sections"]
STAGE = "app"
# New reads and writes priced by hand, with their reasons: written into the report as they are.
REASONS = Path(__file__).with_name("reasons.md")
log = logging.getLogger("bench")
# Scenarios: (key suffix, players have a history, players have pictures, how the rows say it).
SCENARIOS = (
    ("", True, False, ""),
    ("_new", False, False, ", new accounts"),
    ("_pictures", True, True, ", players with pictures"),
)
GAMES = (("win", WIN_IN_7), ("tie", TIE_IN_9))


def run(context: Context) -> dict[str, Any]:
    """Play every scenario's game `runs` times, push off and on; then sessions and waiting."""
    app, recorder = context.app
    runs = context.runs
    log.info("capacity per game, %d runs each", runs)
    found = {
        name + suffix: [
            games.game_capacity(app, recorder, cells, history, pictures) for _ in range(runs)
        ]
        for name, cells in GAMES
        for suffix, history, pictures, _ in SCENARIOS
    }
    log.info("capacity per game with push on (the pages' streams instead of polls)")
    with games.push_app(context.stack.settings, Path(context.workdir)) as (live, live_recorder):
        for name, cells in GAMES:
            found[f"{name}_push"] = [
                games.game_capacity(live, live_recorder, cells, True, push=True)
                for _ in range(runs)
            ]
    log.info("session checks per game at %d paces", len(games.PACES))
    checks = games.session_checks(app, recorder, WIN_IN_7)
    log.info("waiting: %d runs of %.0f s in chromium", runs, context.args.wait_seconds)
    with games.serving(app) as url:
        waiting = [
            games.waiting_cost(app, recorder, url, context.args.wait_seconds) for _ in range(runs)
        ]
    return {"capacity": found, "session_checks": checks, "waiting": waiting}


def rows(results: dict[str, Any]) -> list[Row]:
    """Units and calls per game against issue 6's targets, then the waiting page's reads."""
    out = []
    for game, moves in (("win", 7), ("tie", 9)):
        label = f"{moves}-move {game}"
        for suffix, _, _, who in SCENARIOS:
            wcu, rcu, cost, calls = (
                capacity(results, game + suffix, k) for k in ("wcu", "rcu", "cost", "calls")
            )
            out += [
                Row(f"WCU per {label}{who}", wcu, "≤ 17", lambda v: v <= 17, SAMPLE[f"{game}_wcu"]),
                Row(f"RCU per {label}{who}", rcu, "≤ 10", lambda v: v <= 10, SAMPLE[f"{game}_rcu"]),
                Row(
                    f"Cost (5×WCU + RCU) per {label}{who}",
                    cost,
                    "≤ 90",
                    lambda v: v <= 90,
                    SAMPLE[f"{game}_cost"],
                ),
                Row(f"DynamoDB calls per {label}{who}", calls, "–", None, SAMPLE[f"{game}_calls"]),
            ]
    waiting = [w["rcu_per_minute"] for w in results["waiting"]]
    name = "Waiting: RCU per minute per game (both screens)"
    return [*out, Row(name, waiting, "≤ 15", lambda v: v <= 15, SAMPLE["wait_rcu_min"])]


def method(results: dict[str, Any]) -> list[str]:
    return METHOD


def sections(results: dict[str, Any]) -> list[str]:
    """Both games per request type and per table, with pictures, session checks, waiting."""
    found = results["capacity"]
    win, tie = ([r["capacity"] for r in found[game]] for game in ("win", "tie"))
    pictures = [r["capacity"] for r in found.get("win_pictures", [])]
    return [
        "## Capacity of a 7-move win, per request type",
        "",
        *usage_tables(win),
        *(
            [
                "## Capacity of a 7-move win between players with pictures",
                "",
                *usage_tables(pictures, ""),
            ]
            if pictures
            else []
        ),
        *sessions_table(results.get("session_checks")),
        "## Capacity of a 9-move tie, per request type",
        "",
        *usage_tables(tie),
        *_waiting(results["waiting"]),
        *REASONS.read_text().splitlines(),
        "",
    ]


def _waiting(waiting: list[dict[str, Any]]) -> list[str]:
    by_player = {
        who: cell([w["polls_by_player"][who] for w in waiting]) for who in ("waiting", "to move")
    }
    return [
        "## Waiting",
        "",
        f"Polls in {cell([w['seconds'] for w in waiting])} s with both game pages open: "
        f"the waiting player's page {by_player['waiting']}, "
        f"the page of the player to move {by_player['to move']}. "
        f"{cell([w['polls_per_minute'] for w in waiting])} polls per minute per game, "
        f"{cell([w['rcu_per_poll'] for w in waiting])} RCU per poll "
        "(an eventually consistent GetItem, answered 304 when nothing changed). "
        "Counted the other way, 30 polls/min × the poll's capacity = "
        f"{cell([30 * w['rcu_per_poll'] for w in waiting])} RCU per minute.",
        "",
    ]
