"""What AWS bills for the capacity suite's games, beside DynamoDB Local, and the cost model.

It measures nothing of its own: the capacity suite's recorder kept the bill (bench/harness/
billing/), and this suite reports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.harness.figures import aws, cell, num
from bench.harness.rows import Row
from bench.suites.bill.cost import cost_model
from bench.suites.bill.report import TARGET_COST, markdown


def rows(results: dict[str, Any]) -> list[Row]:
    """What AWS bills for the 7-move win, push on (the target) and with polling pages."""
    if "capacity" not in results:
        return []
    out: list[Row] = []
    # The target is on the push flow (pages on their streams); polling pages beside it.
    for key, how, target in (("win_push", "push on", True), ("win", "polling pages", False)):
        win = [r["capacity"] for r in results["capacity"].get(key, []) if "aws" in r["capacity"]]
        if not win:
            continue
        label = f"per 7-move win, established players, {how}"
        local = [s["total"]["cost"] for s in win]
        out += [
            Row(
                f"AWS-billed WCU {label}",
                aws(win, "wcu"),
                "–",
                None,
                f"DynamoDB Local: {cell([s['total']['wcu'] for s in win])}",
            ),
            Row(
                f"AWS-billed RCU {label}",
                aws(win, "rcu"),
                "–",
                None,
                f"DynamoDB Local: {cell([s['total']['rcu'] for s in win])}",
            ),
            Row(
                f"AWS-billed cost (5×WCU + RCU) {label}",
                aws(win, "cost"),
                f"≤ {TARGET_COST}" if target else "–",
                (lambda v: v <= TARGET_COST) if target else None,
                f"DynamoDB Local: {cell(local)}",
            ),
        ]
    return out


def preface(results: dict[str, Any]) -> list[str]:
    return cost_model(results) if "capacity" in results else []


def sections(results: dict[str, Any]) -> list[str]:
    return markdown(results) if "capacity" in results else []


def _bill_why(results: dict[str, Any]) -> str:
    found = results["capacity"].get("win_push") or results["capacity"]["win"]
    win = found[0]["capacity"]["aws"]
    spent = ", ".join(
        f"{kind} {num(u['wcu'])} WCU" for kind, u in win["by_type"].items() if u["wcu"]
    )
    return (
        f"As AWS bills the first run's game: {spent}, and {num(win['total']['rcu'])} RCU in all "
        "(per request and per table in 'What AWS bills'). The writes are the invitation and its "
        "lock, the accept moving both list entries, one write per move, and the transaction "
        "that finishes the game and counts it. The reads are already few: with push on no page "
        "polls, and a stream costs one read when it opens. The designs that would write less "
        "were measured ('Writing less per game'): the one that keeps every guarantee (the "
        "host's list entry keeps its key from the invite to the finish) saves 2 WCU, 10 of "
        "cost, and needs a new index, a backfill and a two-release migration; the target's 35 "
        "are reached only by also counting results outside the transaction and bucketing the "
        "leaderboard's Rank, which break 'counted exactly once' and the leaderboard's bounded "
        "Query. So the target is left missed rather than a guarantee given up."
    )


WHY: dict[str, Callable[[dict[str, Any]], str]] = {"AWS-billed cost": _bill_why}
