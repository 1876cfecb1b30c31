"""The report's section on issue 27's items 1 and 3: CPU per DynamoDB call and per request."""

from __future__ import annotations

from typing import Any

from bench.suites.lighter.per_call import KINDS, PATHS


def markdown(lighter: dict[str, Any] | None) -> list[str]:
    """Return the section's lines (none when the figures were not measured)."""
    if not lighter:
        return []
    return [*_calls(lighter["calls"]), *_requests(lighter["requests"])]


def _calls(calls: dict[str, Any]) -> list[str]:
    us = calls["us"]
    out = [
        "## CPU per DynamoDB call: the client's old path and its new (issue 27, item 1)",
        "",
        "One process (`python -m bench --only lighter`), four DynamoDB clients on DynamoDB Local "
        "(another process: its CPU is not counted) and on one table of the suite's own, 25 "
        "game-like items in one partition. A round makes "
        f"{calls['batch']} calls of each kind with each client in turn; a sample is "
        "time.process_time() over those calls, per call. Cells: median µs per call (in brackets "
        "the best sample, the one other work on the machine slowed least) of "
        f"{calls['rounds']} rounds ({calls['seconds']:.0f} s, load average {calls['load']:.1f} "
        "at the end); the last column is after ÷ before.",
        "",
        "What each path is and why it is kept: botocore walks its service model for every "
        "attribute value of an answer, which the stores do not need (the as-sent parser, "
        "tictactoe/adapters/dynamodb_json.py, returns the decoded JSON and turns only binary "
        "values into bytes; tests/adapters/test_dynamodb_json.py holds both parsers to equal "
        "results); a fixed User-Agent saves botocore joining the header again on every call.",
        "",
        "| call | " + " | ".join(f"{path} µs" for path in PATHS) + " | after ÷ before |",
        "|---|" + "---|" * (len(PATHS) + 1),
    ]
    best = calls["best_us"]
    for kind in KINDS:
        cells = " | ".join(f"{us[path][kind]:,.0f} ({best[path][kind]:,.0f})" for path in PATHS)
        ratio = best["after"][kind] / best["before"][kind]
        out.append(f"| {kind} | {cells} | {calls['ratio'][kind]:.2f} ({ratio:.2f}) |")
    agent = calls["user_agent_us"]
    out += [
        "",
        *(f"- {path}: {what}" for path, what in PATHS.items()),
        "",
        "The User-Agent alone, timed apart (its saving is smaller than the calls' noise): "
        f"botocore builds the header for {agent['before']:.1f} µs per call before, "
        f"{agent['after']:.1f} µs with the fixed one.",
        "",
    ]
    return out


def _requests(requests: dict[str, Any]) -> list[str]:
    rows = requests["rows"]
    kinds = list(next(iter(rows.values()))["before_us"])
    out = [
        "## App CPU per request before and after issue 27's items 1 and 3",
        "",
        "Two apps from create_app on the same DynamoDB Local, played through Flask's test client "
        "in this process: one with the DynamoDB client as built before, one as built now; on "
        "either, the session interface verifies every cookie (as before) or each cookie once "
        "per process (tictactoe/__init__.py, as now). A round plays, for every row, a 7-move "
        "game before, then one after. Counted: every move, two polls answered 304 after each, "
        "each player's game page and home page. Cells: median µs per request before → after "
        f"(after ÷ before), {requests['rounds']} rounds in {requests['seconds']:.0f} s.",
        "",
        "| change | " + " | ".join(f"{kind} µs" for kind in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for row, figures in rows.items():
        cells = " | ".join(
            f"{figures['before_us'][k]:,.0f} → {figures['after_us'][k]:,.0f} "
            f"({figures['ratio'][k]:.2f})"
            for k in kinds
        )
        out.append(f"| {row} | {cells} |")
    opened = requests["open_session_us"]
    return [
        *out,
        "",
        "The session cookie alone, timed apart (its saving is below the requests' noise): "
        f"reading a signed-in player's cookie costs {opened['before']:.1f} µs verified every "
        f"time, {opened['after']:.1f} µs once this process has verified it.",
        "",
    ]
