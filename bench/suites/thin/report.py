"""The thin client's section: µs per call on each client, and what it would save per move."""

from __future__ import annotations

import statistics
from typing import Any

from bench.suites.thin.counts import FLOWS
from bench.suites.thin.timing import KINDS, PATHS

TARGET_MS = 5.0  # issue 27: app CPU per move in the browser flow, a third of the sample's 15
# The browser flow's app CPU per move, push on, 4 pairs, in the last full `make bench`
# (docs/benchmarks.md of 2026-12-07); used when the compare suite did not run alongside.
LAST_MEASURED_MS = 13.1
THIN = ("thin", "thin, signer kept")


def saved_ms(thin: dict[str, Any], flow: str, path: str = "thin") -> float:
    """CPU ms a move would save with `path` for the two calls alone, in `flow`."""
    per_move, us = thin["counts"][flow]["per_move"], thin["calls"]["us"]
    return float(sum(per_move.get(k, 0) * (us["app"][k] - us[path][k]) for k in KINDS)) / 1000


def spent_ms(thin: dict[str, Any], flow: str) -> float:
    """CPU ms a move spends in botocore, as the app calls it, on the two calls in `flow`."""
    per_move, us = thin["counts"][flow]["per_move"], thin["calls"]["us"]
    return float(sum(per_move.get(k, 0) * us["app"][k] for k in KINDS)) / 1000


def flow_ms(results: dict[str, Any]) -> tuple[float, str]:
    """The browser flow's app CPU ms per move, and where the figure comes from."""
    runs = (((results.get("compare") or {}).get("runs") or {}).get("current") or {}).get("4")
    if runs:
        figure = statistics.median(r["app_cpu_ms_per_move"] for r in runs)
        return figure, "this run's baseline-against-current suite"
    return LAST_MEASURED_MS, "the last full run (no baseline-against-current suite this time)"


def markdown(results: dict[str, Any]) -> list[str]:
    """Return the section's lines (none when the figures were not measured)."""
    thin = results.get("thin")
    if not thin:
        return []
    return [*_calls(thin["calls"]), *_per_move(thin, results)]


def _calls(calls: dict[str, Any]) -> list[str]:
    us, best = calls["us"], calls["best_us"]
    out = [
        "## A thin DynamoDB client for the two hottest calls, measured (issue 27, item 1)",
        "",
        "Measured, not adopted: the app keeps botocore. One process (`python -m bench --only "
        "thin`), four clients on DynamoDB Local (another process: its CPU is not counted), "
        "on a table of the suite's own with the Games table's key. The move is Games.move's "
        "conditional UpdateItem as GameTable.update sends it (condition, ReturnValues=ALL_NEW, "
        "ReturnValuesOnConditionCheckFailure=ALL_OLD); the poll, GameTable.read's eventually "
        "consistent GetItem; both ask ReturnConsumedCapacity=INDEXES as the app's capacity "
        "hook does. Before timing, the suite plays a game's six moves, a stale move and a poll "
        "with every client and requires the same answers (the refused move's item included). "
        f"A round, for each client in turn: a game's {calls['calls_per_sample']} moves, then "
        f"as many polls; a sample is time.process_time() over them, per call. Cells: median "
        f"µs per call (best sample in brackets) of {calls['rounds']} rounds "
        f"({calls['seconds']:.0f} s, load average {calls['load']:.1f} at the end).",
        "",
        "| call | " + " | ".join(f"{p} µs" for p in PATHS) + " | thin ÷ app | kept ÷ app |",
        "|---|" + "---|" * (len(PATHS) + 2),
    ]
    for kind, what in KINDS.items():
        cells = " | ".join(f"{us[p][kind]:,.0f} ({best[p][kind]:,.0f})" for p in PATHS)
        ratios = " | ".join(f"{calls['ratio'][p][kind]:.2f}" for p in THIN)
        out.append(f"| {kind} ({what}) | {cells} | {ratios} |")
    return [*out, "", *(f"- {path}: {what}" for path, what in PATHS.items()), ""]


def _per_move(thin: dict[str, Any], results: dict[str, Any]) -> list[str]:
    counts = thin["counts"]
    now_ms, source = flow_ms(results)
    gap = max(now_ms - TARGET_MS, 0.0)
    out = [
        "What it would save per move in the browser flow: a 7-move win played as the pages "
        "play it, in-process, every DynamoDB call counted by operation (logins and home pages "
        "included, which makes the saving look larger, not smaller). Saved = Σ calls per "
        "move × (app µs − thin µs) over the two calls.",
        "",
        "| flow | UpdateItem a move | GetItem a move | other calls a move (botocore still) "
        "| saved a move, thin | saved, signer kept |",
        "|---|---|---|---|---|---|",
    ]
    for flow, what in FLOWS.items():
        if flow not in counts:
            continue
        per_move = counts[flow]["per_move"]
        other = sum(n for op, n in per_move.items() if op not in KINDS)
        out.append(
            f"| {what} | {per_move.get('UpdateItem', 0):.2f} | {per_move.get('GetItem', 0):.2f} "
            f"| {other:.2f} | {saved_ms(thin, flow):.2f} ms | "
            f"{saved_ms(thin, flow, THIN[1]):.2f} ms |"
        )
    return [*out, "", _verdict(thin, now_ms, source, gap), ""]


def _verdict(thin: dict[str, Any], now_ms: float, source: str, gap: float) -> str:
    flow = "push on" if "push on" in thin["counts"] else "polling"
    best = max(saved_ms(thin, flow), saved_ms(thin, flow, THIN[1]))
    whole = spent_ms(thin, flow)
    said = (
        f"The browser flow costs {now_ms:.1f} ms of app CPU a move ({source}, push on, 4 "
        f"pairs) against ≤ {TARGET_MS:.0f}: {gap:.1f} ms to cut. A thin client for the move's "
        f"UpdateItem and the poll's GetItem alone saves at most {best:.2f} ms a move "
        f"({flow}), {100 * best / gap if gap else 100:.0f}% of that. Even a client that cost "
        f"no CPU at all for these two calls would save {whole:.2f} ms a move: all that "
        "botocore spends on them as the app calls them. "
        f"(These µs were taken at load average {thin['calls']['load']:.1f}; on a quieter "
        "machine every one is smaller, the saving with them.) "
    )
    if best >= gap:
        return said + "On these figures it would close the gap by itself."
    return said + (
        "So it does not close the gap by itself: the rest of a move's CPU is Flask, the "
        "pages (Jinja), the session, the other calls and the server (see 'Profiles'), and a "
        "client of our own would also have to grow retries, throttling back-off and the "
        "capacity hook before it could replace botocore on a request path."
    )
