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
