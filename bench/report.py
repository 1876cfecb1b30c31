"""Turn the benchmark's results into docs/benchmarks.md: every figure next to its target."""

from __future__ import annotations

from typing import Any

from . import flood, push_report, report_bill, report_compare, report_cuts, report_designs
from . import report_tables as tables
from . import results as counting
from .cost_model import cost_model
from .figures import SAMPLE, calls_per_move, capacity, cell, cpu_per_move
from .notes import missed_notes
from .report_rows import Row, avatar_rows, issue19_rows, push_rows

KB = 1000  # page weight target: 50 KB = 50,000 bytes

# Capacity scenarios, as bench/__main__.py names them, and how the summary labels them.
SCENARIOS = (("", ""), ("_new", ", new accounts"), ("_pictures", ", players with pictures"))


def rows(results: dict[str, Any]) -> list[Row]:
    waiting = [w["rcu_per_minute"] for w in results["waiting"]]
    tp4, tp16 = results["throughput"]["4"], results["throughput"]["16"]
    page = results["pages"]
    out = []
    for game, moves in (("win", 7), ("tie", 9)):
        label = f"{moves}-move {game}"
        for suffix, who in SCENARIOS:
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
    out += [
        Row(
            "Waiting: RCU per minute per game (both screens)",
            waiting,
            "≤ 15",
            lambda v: v <= 15,
            SAMPLE["wait_rcu_min"],
        ),
        Row(
            "Moves/s, 4 pairs",
            [r["moves_per_s"] for r in tp4],
            "≥ 156 (3× 52)",
            lambda v: v >= 156,
            SAMPLE["moves_s_4"],
            lower_is_better=False,
        ),
        Row("Move p50 ms, 4 pairs", [r["p50_ms"] for r in tp4], "–", None, SAMPLE["p50_4"]),
        Row("Move p95 ms, 4 pairs", [r["p95_ms"] for r in tp4], "–", None, None),
        Row(
            "Move p99 ms, 4 pairs",
            [r["p99_ms"] for r in tp4],
            "≤ 72",
            lambda v: v <= 72,
            SAMPLE["p99_4"],
        ),
        Row(
            "Moves/s, 16 pairs",
            [r["moves_per_s"] for r in tp16],
            "–",
            None,
            SAMPLE["moves_s_16"],
            lower_is_better=False,
        ),
        Row("Move p50 ms, 16 pairs", [r["p50_ms"] for r in tp16], "–", None, None),
        Row("Move p95 ms, 16 pairs", [r["p95_ms"] for r in tp16], "–", None, None),
        Row("Move p99 ms, 16 pairs", [r["p99_ms"] for r in tp16], "–", None, SAMPLE["p99_16"]),
        Row(
            "CPU ms per move at 4 pairs, all processes (app + DynamoDB Local + load)",
            [sum(cpu_per_move(r)) for r in tp4],
            f"≤ {2000 / 156:.1f} (156/s on 2 cores)",
            lambda v: v <= 2000 / 156,
            None,
        ),
        Row(
            "Moves/s ceiling on 2 idle cores (2,000 ÷ CPU ms per move)",
            [2000 / sum(cpu_per_move(r)) for r in tp4],
            "≥ 156",
            lambda v: v >= 156,
            SAMPLE["moves_s_4"],
            lower_is_better=False,
        ),
        Row(
            "Moves/s at 16 pairs ÷ at 4 pairs (back-to-back runs)",
            [b["moves_per_s"] / a["moves_per_s"] for a, b in zip(tp4, tp16, strict=True)],
            "–",
            None,
            "1.0 (52 at both)",
            lower_is_better=False,
        ),
        Row(
            "Move p99 at 16 pairs ÷ at 4 pairs (back-to-back runs)",
            [b["p99_ms"] / a["p99_ms"] for a, b in zip(tp4, tp16, strict=True)],
            "–",
            None,
            f"{260 / 72:.1f} (260 / 72 ms)",
        ),
        Row(
            "DynamoDB calls per move (under load)",
            [calls_per_move(results)],
            "1 (ideal)",
            lambda v: v <= 1,
            None,
        ),
        Row(
            "Home page, KB transferred (cold cache)",
            [p["home"]["bytes"] / KB for p in page],
            "≤ 50",
            lambda v: v <= 50,
            "Bootstrap 3 CSS + JS on every page",
        ),
        Row(
            "Game page, KB transferred (cold cache)",
            [p["game"]["bytes"] / KB for p in page],
            "≤ 50",
            lambda v: v <= 50,
            "Bootstrap 3 CSS + JS on every page",
        ),
    ]
    if results.get("login_flood"):
        out.append(
            Row(
                f"Move p99 during a login flood of {results['login_flood']['rate']:.0f}/s ÷ quiet "
                "(same run, 4 pairs)",
                flood.ratios(results["login_flood"]),
                "≤ 2",
                lambda v: v <= 2,
                None,
            )
        )
    out += avatar_rows(results.get("avatars"))
    out += push_rows(results.get("push"))
    out += issue19_rows(results)
    return out


def render(results: dict[str, Any]) -> str:
    """Return docs/benchmarks.md."""
    summary = rows(results)
    win = [r["capacity"] for r in results["capacity"]["win"]]
    tie = [r["capacity"] for r in results["capacity"]["tie"]]
    waiting = results["waiting"]
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`), which starts its own DynamoDB Local and "
        "app. Targets and the classic sample's figures are from issue 6. Edit the code, not "
        "this file.",
        "",
        "## Machine",
        *tables.machine(results["machine"], results["runs"]),
        "",
        "## Summary",
        "",
        "| figure | ours: median (min–max) | target | classic sample (ratio), or polling today | |",
        "|---|---|---|---|---|",
        *(row.line() for row in summary),
        "",
        *missed_notes(summary, results),
        *cost_model(results),
        "## How each figure is measured",
        "",
        *tables.METHOD,
        *(push_report.method() if results.get("push") else []),
        "",
        "## Capacity of a 7-move win, per request type",
        "",
        *tables.usage_table(win, "by_type", "request"),
        "",
        "Per table and index:",
        "",
        *tables.usage_table(win, "by_target", "table / index"),
        "",
        *tables.pictures_tables(results),
        *tables.session_checks_table(results.get("session_checks")),
        *counting.markdown(results.get("counting")),
        *report_bill.markdown(results),
        *report_designs.markdown(results),
        "## Capacity of a 9-move tie, per request type",
        "",
        *tables.usage_table(tie, "by_type", "request"),
        "",
        "Per table and index:",
        "",
        *tables.usage_table(tie, "by_target", "table / index"),
        "",
        "## Waiting",
        "",
        f"Polls in {cell([w['seconds'] for w in waiting])} s with both game pages open: "
        f"the waiting player's page {cell([w['polls_by_player']['waiting'] for w in waiting])}, "
        f"the page of the player to move {cell([w['polls_by_player']['to move'] for w in waiting])}. "  # noqa: E501
        f"{cell([w['polls_per_minute'] for w in waiting])} polls per minute per game, "
        f"{cell([w['rcu_per_poll'] for w in waiting])} RCU per poll "
        "(an eventually consistent GetItem, answered 304 when nothing changed). "
        "Counted the other way, 30 polls/min × the poll's capacity = "
        f"{cell([30 * w['rcu_per_poll'] for w in waiting])} RCU per minute.",
        "",
        "## Throughput runs",
        "",
        *tables.throughput_table(results),
        "",
        "## Pages",
        "",
        *tables.pages_table(results["pages"]),
        "",
        *flood.markdown(results.get("login_flood")),
        *flood.markdown(
            results.get("login_flood_unpaced"), "Moves during an unpaced login flood (no target)"
        ),
    ]
    avatars = results.get("avatars")
    out += ["## Avatars", ""]
    if avatars is None:
        out.append("bench/avatars.py was not in the tree when this ran: no avatar figures.")
    else:
        out.append(avatars.get("_markdown", ""))
    out += ["", *push_report.markdown(results.get("push"))]
    out += ["", *report_compare.markdown(results.get("compare"))]
    out += ["", *report_cuts.markdown(results.get("cuts"))]
    return "\n".join(out) + "\n"
