"""The capacity suite's tables: capacity per request and per table, session checks."""

from __future__ import annotations

from typing import Any

from bench.harness.figures import cell


def usage_tables(
    snapshots: list[dict[str, Any]], between: str = "Per table and index:"
) -> list[str]:
    """Per request type, then per table and index."""
    return [
        *usage_table(snapshots, "by_type", "request"),
        "",
        *([between, ""] if between else []),
        *usage_table(snapshots, "by_target", "table / index"),
        "",
    ]


def usage_table(snapshots: list[dict[str, Any]], part: str, head: str) -> list[str]:
    names = sorted({k for s in snapshots for k in s[part]})
    lines = [f"| {head} | calls | RCU | WCU | cost |", "|---|---|---|---|---|"]
    for name in names:
        got = [
            s[part].get(name, {"calls": 0, "rcu": 0.0, "wcu": 0.0, "cost": 0.0}) for s in snapshots
        ]
        lines.append(
            f"| {name} | "
            + " | ".join(cell([g[k] for g in got]) for k in ("calls", "rcu", "wcu", "cost"))
            + " |"
        )
    total = [s["total"] for s in snapshots]
    lines.append(
        "| **total** | "
        + " | ".join(cell([t[k] for t in total]) for k in ("calls", "rcu", "wcu", "cost"))
        + " |"
    )
    return lines


def sessions_table(rows: list[dict[str, Any]] | None) -> list[str]:
    """Issue 11: what re-checking sessions against the player's epoch adds to one game."""
    if not rows:
        return []
    return [
        "## Session checks per 7-move win (issue 11)",
        "",
        "A session is re-checked against its player's Users item (one eventually consistent "
        "GetItem, 0.5 RCU) at most once a minute, and before a password change, a picture "
        "change or a deletion. So what it adds to a game depends on how long the game takes, "
        "not on how many requests it makes. Below, the sessions' clock moves by the pace after "
        "each of the game's steps (an action, or the poll that sees it); the checks are the "
        "Users reads beyond those of the same game played with the clock still. At most 0.5 "
        "RCU per player per minute of play. Signing out (issue 25) writes once: the "
        "session's id goes on the player's Users item (1 WCU; 2 when the same sign-out also "
        "drops entries past their time, tests/store/test_capacity_sessions.py), so a copied "
        "cookie is refused at its next check, which reads the same item and nothing more. "
        "No game flow signs out, so no figure below includes it.",
        "",
        "| seconds per step | steps | game length (min) | session checks | RCU added "
        "| game cost (5×WCU+RCU) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['pace']} | {r['steps']} | {r['minutes']:.1f} | {r['checks']} "
            f"| {r['check_rcu']:.1f} | {r['cost']:.1f} |"
            for r in rows
        ),
        "",
    ]


METHOD = [
    "- **Capacity**: the app built by the same `create_app` gunicorn runs, in this process, "
    "on DynamoDB Local. A botocore hook installed by the benchmark only (bench/capacity.py) "
    "adds `ReturnConsumedCapacity=INDEXES` to the app's calls and files what comes back under"
    " the Flask endpoint being served. Two players who have already played each other twice, "
    "once in each role, so every home query finds entries as on an established account, play "
    "as browsers do (the rows marked 'new accounts' are the first game of two new players): "
    "log in and load home, the host invites and lands on the game page, the opponent loads "
    "home, accepts and lands on the game page, the host's poll sees the accept; each move is "
    "the API POST the page sends with `X-Game-State`, and the other player's poll sees it "
    "once; both load home at the end. Cost = 5 × WCU + RCU. The 'push on' scenarios play "
    "the same game on the same app built with push on (a redis-server of the benchmark's "
    "own): each game page opens its stream when it loads (its first event reads the game), "
    "and the other page sees the accept and each move on that stream instead of by a poll "
    "(bench/flows.py), as the pages do whenever push is on.",
    "- **Waiting**: headless chromium opens the game page on both players' screens while one "
    "waits for the other's move, against the same instrumented app served on loopback; the "
    "polls are the page's own (`game.js`, every 2 s while waiting), counted in the browser, "
    "and their capacity comes from the hook. Per minute = measured RCU × 60 / seconds watched.",
]
