"""Shared arithmetic for the report and its notes: medians, cells, per-move figures."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

# The classic sample's figures, from issue 6 (same kind of machine, DynamoDB Local).
SAMPLE = {
    "win_calls": 57,
    "win_rcu": 10.0,
    "win_wcu": 34.0,
    "win_cost": 180.0,
    "tie_calls": 63,
    "tie_rcu": 12.0,
    "tie_wcu": 40.0,
    "tie_cost": 212.0,
    "wait_rcu_min": 58.5,
    "moves_s_4": 52.0,
    "p50_4": 31.0,
    "p99_4": 72.0,
    "moves_s_16": 52.0,
    "p99_16": 260.0,
}


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, min and max."""
    return statistics.median(values), min(values), max(values)


def num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.1f}".removesuffix(".0")


def cell(values: Sequence[float]) -> str:
    med, lo, hi = spread(values)
    return num(med) if lo == hi else f"{num(med)} ({num(lo)}–{num(hi)})"


def capacity(results: dict[str, Any], game: str, key: str) -> list[float]:
    return [run["capacity"]["total"][key] for run in results["capacity"][game]]


def cpu_per_move(run: dict[str, Any]) -> tuple[float, float, float]:
    """CPU ms per move in the app, DynamoDB Local and the load generator, during a run."""
    moves = run["moves_sent"] or 1
    server = run.get("server_cpu_s", {})
    return (
        server.get("app", 0.0) * 1000 / moves,
        server.get("dynamodb_local", 0.0) * 1000 / moves,
        run.get("cpu_s", 0.0) * 1000 / moves,
    )


def calls_per_move(results: dict[str, Any]) -> float:
    under_load = results["calls_under_load"]
    calls = sum(n for k, n in under_load["by_operation"].items() if k.startswith("move:"))
    return calls / under_load["moves_sent"] if under_load["moves_sent"] else float("nan")


# As AWS bills the finishing transaction (DynamoDB Local reports transactions its own way): a
# transactional write is 2 WCU per item up to 1 KB (the game, each player's Users item), and
# index entries are written at the usual rate: the game's two list entries move (a delete and
# a put each), and each player's ladder entry is put (first game) or moved (delete + put).
AWS_MODEL = {"first game": 2 + 4 + 2 * 2 + 2 * 1, "established players": 2 + 4 + 2 * 2 + 2 * 2}


def aws(snapshots: list[dict[str, Any]], key: str, part: str = "total") -> list[float]:
    """One figure of the AWS bill, per run (nan where the bill was not kept)."""
    return [s["aws"][part][key] if "aws" in s else float("nan") for s in snapshots]


def game_bill(results: dict[str, Any], game: str = "win") -> dict[str, float] | None:
    """Median AWS-billed RCU, WCU and cost of a scenario, or None without a bill."""
    runs = [r["capacity"] for r in results["capacity"].get(game, []) if "aws" in r["capacity"]]
    if not runs:
        return None
    return {k: statistics.median(aws(runs, k)) for k in ("rcu", "wcu", "cost")}


def counting(results: dict[str, Any]) -> tuple[float, float]:
    """Return DynamoDB Local's WCU for a finishing move, and AWS's bill for the same move
    (measured by the billing meter; the counting suite's hand count without it)."""
    runs = (results.get("counting") or {}).get("finishing move (win)") or []
    local = statistics.median(r["total"]["wcu"] for r in runs) if runs else 0.0
    billed = [r["aws"]["total"]["wcu"] for r in runs if "aws" in r]
    return local, statistics.median(billed) if billed else AWS_MODEL["established players"]


def billed_game(results: dict[str, Any], wcu: float, rcu: float) -> tuple[float, float]:
    """AWS's WCU and RCU for the 7-move win: measured, or Local's with the transaction fixed."""
    measured = game_bill(results)
    if measured is not None:
        return measured["wcu"], measured["rcu"]
    local, aws_wcu = counting(results)
    return wcu - local + aws_wcu, rcu
