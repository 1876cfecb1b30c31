"""Moves during a login flood: 4 pairs play while one client floods /api/login, paced and not."""

from __future__ import annotations

import logging
from typing import Any

from bench import load
from bench.harness.context import Context
from bench.harness.rows import Row
from bench.suites.common.flood import CONNECTIONS
from bench.suites.common.flood import run as flooded

STAGE = "server"
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    """Quiet and flooded runs in turn, at the paced rate; then one unpaced pair of runs."""
    runs, seconds, stack = context.runs, context.args.seconds, context.stack
    log.info("moves during a login flood: %d quiet and %d flooded runs", runs, runs)
    movers = load.register_players(stack.app_url, [f"mover{i}" for i in range(8)])
    found = {
        "login_flood": flooded(stack, movers, runs, seconds),
        "login_flood_unpaced": flooded(stack, movers, 1, seconds, rate=None),
    }
    context.moves_sent += sum(f["moves_sent"] for f in found.values())
    return found


def rows(results: dict[str, Any]) -> list[Row]:
    flood = results.get("login_flood")
    if not flood:
        return []
    name = f"Move p99 during a login flood of {flood['rate']:.0f}/s ÷ quiet (same run, 4 pairs)"
    return [Row(name, ratios(flood), "≤ 2", lambda v: v <= 2, None)]


def sections(results: dict[str, Any]) -> list[str]:
    unpaced = "Moves during an unpaced login flood (no target)"
    return [
        *markdown(results.get("login_flood")),
        *markdown(results.get("login_flood_unpaced"), unpaced),
    ]


def ratios(results: dict[str, Any]) -> list[float]:
    """Flooded move p99 over the quiet one, per pair of runs."""
    return [
        f["p99_ms"] / q["p99_ms"] for q, f in zip(results["quiet"], results["flooded"], strict=True)
    ]


def flood_cpu_ms(quiet: dict[str, Any], moved: dict[str, Any], flood: dict[str, Any]) -> float:
    """The app's CPU per flood request: what the flooded run used beyond the moves' own share
    (the quiet run's CPU per move), over the flood's requests."""
    per_move = quiet["server_cpu_s"]["app"] / (quiet["moves_sent"] or 1)
    extra = moved["server_cpu_s"]["app"] - per_move * moved["moves_sent"]
    return 1000 * extra / (flood["requests"] or 1)


def _line(i: int, quiet: dict[str, Any], moved: dict[str, Any], flood: dict[str, Any]) -> str:
    """One pair of runs, quiet and flooded, and what the flood got."""
    answers = ", ".join(f"{n}× {status}" for status, n in flood["statuses"].items())
    cpu = quiet["server_cpu_s"]["app"], moved["server_cpu_s"]["app"]
    return (
        f"| {i} | {quiet['p99_ms']:.1f} | {moved['p99_ms']:.1f} | "
        f"{moved['p99_ms'] / quiet['p99_ms']:.2f} | {quiet['moves_per_s']:.1f} / "
        f"{moved['moves_per_s']:.1f} | {flood['per_s']:.0f} | {answers} | "
        f"{cpu[0]:.1f} / {cpu[1]:.1f} | {flood_cpu_ms(quiet, moved, flood):.1f} |"
    )


def markdown(
    results: dict[str, Any] | None, heading: str = "Moves during a login flood"
) -> list[str]:
    """The report's section: each pair of runs, and what the flood got."""
    if not results:
        return []
    rate = results.get("rate")
    pace = (
        f"at {rate:.0f} requests a second (ten times the 15–20 a second of wrong logins "
        "that saturated a t3.micro with password hashes before the limits)"
        if rate
        else "as fast as they go (on these 2 shared cores the flooder, the app, DynamoDB Local "
        "and the movers then compete for the CPU, so this measures raw HTTP handling more "
        "than the limits; for information, no target)"
    )
    lines = [
        f"## {heading}",
        "",
        "4 pairs play; in every other run one anonymous client floods `POST /api/login` with "
        f"wrong passwords over {CONNECTIONS} keep-alive connections, {pace}, each request a "
        "new name, from a loopback address of its own (so each flooded run meets fresh "
        "counters). Limits at their defaults."
        + (" Target: flooded move p99 ≤ 2 × the quiet one." if rate else ""),
        "",
        "| run | quiet p99 ms | flooded p99 ms | ratio | moves/s quiet / flooded "
        "| flood requests/s | flood answers | app CPU s quiet / flooded | app CPU ms per flood "
        "request |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    runs = zip(results["quiet"], results["flooded"], results["flood"], strict=True)
    lines += [_line(i, *run) for i, run in enumerate(runs, 1)]
    lines += [
        "",
        "A 401 is a guess that was hashed and counted; a 429 was refused from the process's "
        "memory (no DynamoDB call, no hash) or, at most once per process and window, by a "
        "refused conditional write.",
        "",
    ]
    return lines
