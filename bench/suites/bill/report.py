"""The report's section on what AWS bills, beside what DynamoDB Local reports (issue 19)."""

from __future__ import annotations

from typing import Any

from bench.harness.figures import aws, cell

# Capacity scenarios as bench/__main__.py names them, and how the report says them.
SCENARIOS = (
    ("win_push", "7-move win, established players, push on (the pages' streams, no polls)"),
    ("win", "7-move win, established players (with ratings), polling pages"),
    ("win_new", "7-move win, the first game of two new accounts"),
    ("win_pictures", "7-move win, players with pictures"),
    ("tie", "9-move tie, established players"),
    ("tie_new", "9-move tie, new accounts"),
    ("tie_pictures", "9-move tie, players with pictures"),
    ("tie_push", "9-move tie, established players, push on"),
)
TARGET_COST = 125  # issue 19: AWS-billed 5 × WCU + RCU per 7-move win, established players


def _side_by_side(snapshots: list[dict[str, Any]], part: str, head: str) -> list[str]:
    names = sorted({k for s in snapshots for k in (*s[part], *s.get("aws", {}).get(part, {}))})
    lines = [
        f"| {head} | Local RCU | Local WCU | Local cost | AWS RCU | AWS WCU | AWS cost |",
        "|---|---|---|---|---|---|---|",
    ]
    zero = {"rcu": 0.0, "wcu": 0.0, "cost": 0.0}
    for name in [*names, None]:
        local = [s["total"] if name is None else s[part].get(name, zero) for s in snapshots]
        billed = [
            s["aws"]["total"] if name is None else s["aws"][part].get(name, zero) for s in snapshots
        ]
        cells = [
            cell([x[k] for x in got]) for got in (local, billed) for k in ("rcu", "wcu", "cost")
        ]
        lines.append(f"| {'**total**' if name is None else name} | " + " | ".join(cells) + " |")
    return lines


INTRO = (
    "The same calls as the capacity figures above, billed by AWS's rules "
    "(bench/harness/billing/model.py, which cites the pages): a write is 1 unit per 1 KB of the "
    "larger of the item before and after, 2 in a transaction; an index entry written costs by "
    "its own size (a key that changes is a delete and a put, an untouched entry nothing); a read "
    "1 unit per 4 KB, half when eventually consistent, per item for GetItem and BatchGetItem, on "
    "the page's total for a Query, at least the minimum when nothing is found; a write whose "
    "condition fails still costs. Item sizes are not in the requests: "
    "bench/harness/billing/meter.py reads every item a write touches just before the call and "
    "just after it, and the whole items (or index entries) a read read, with a client of its own "
    "on the same DynamoDB Local (strongly consistent, outside the app's own count), one request "
    "at a time. Cost = 5 × WCU + RCU."
)


def markdown(results: dict[str, Any]) -> list[str]:
    """The section: every capacity scenario in both units, then the win in detail."""
    capacity = results["capacity"]
    runs = {
        k: [r["capacity"] for r in capacity.get(k, []) if "aws" in r["capacity"]]
        for k, _ in SCENARIOS
    }
    if not any(runs.values()):
        return []
    counted = (results.get("counting") or {}).items()
    return [
        "## What AWS bills, beside what DynamoDB Local reports (issue 19)",
        "",
        INTRO,
        "",
        "| scenario | Local RCU | Local WCU | Local cost | AWS RCU | AWS WCU | AWS cost |",
        "|---|---|---|---|---|---|---|",
        *(_both(label, runs[key]) for key, label in SCENARIOS if runs[key]),
        *(
            _both(f"one request: {kind}", [s for s in found if "aws" in s])
            for kind, found in counted
            if any("aws" in s for s in found)
        ),
        *_detail(runs),
        "",
    ]


def _both(label: str, snapshots: list[dict[str, Any]]) -> str:
    """One scenario's or request's total, as DynamoDB Local reports it and as AWS bills it."""
    cells = [cell([s["total"][k] for s in snapshots]) for k in ("rcu", "wcu", "cost")]
    cells += [cell(aws(snapshots, k)) for k in ("rcu", "wcu", "cost")]
    return f"| {label} | " + " | ".join(cells) + " |"


def _detail(runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The 7-move win, push on and with polling pages, per request type and per table."""
    lines = []
    for key, how in (("win_push", "with push on"), ("win", "with polling pages")):
        if runs[key]:
            lines += [
                "",
                f"The 7-move win between established players, {how}, per request type:",
                "",
                *_side_by_side(runs[key], "by_type", "request"),
                "",
                "Per table and index:",
                "",
                *_side_by_side(runs[key], "by_target", "table / index"),
            ]
    return lines
