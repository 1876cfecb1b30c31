"""The report's tables of measured figures: capacity per request and per table, session
checks, throughput runs, pages; and how each figure of the first sections is measured."""

from __future__ import annotations

from typing import Any

from .figures import cell, cpu_per_move


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


def session_checks_table(rows: list[dict[str, Any]] | None) -> list[str]:
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
        "RCU per player per minute of play.",
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


def pictures_tables(results: dict[str, Any]) -> list[str]:
    runs = [r["capacity"] for r in results["capacity"].get("win_pictures", [])]
    if not runs:
        return []
    return [
        "## Capacity of a 7-move win between players with pictures",
        "",
        *usage_table(runs, "by_type", "request"),
        "",
        *usage_table(runs, "by_target", "table / index"),
        "",
    ]


def throughput_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| pairs | run | moves | moves/s | p50 ms | p95 ms | p99 ms | poll p50 ms | errors "
        "| CPU ms per move: app / DynamoDB Local / load generator |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pairs, runs in results["throughput"].items():
        for i, r in enumerate(runs, 1):
            lines.append(
                f"| {pairs} | {i} | {r['moves']} | {r['moves_per_s']:.1f} | {r['p50_ms']:.1f} | "
                f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['poll_p50_ms']:.1f} | "
                f"{len(r['errors'])} | {' / '.join(f'{x:.1f}' for x in cpu_per_move(r))} |"
            )
    lines += [
        "",
        "CPU per move counts everything a pair does per move (the move, the other player's "
        "poll, and a share of each game's invite and accept), in all processes, over the run; "
        "2 cores give 2,000 CPU ms per second.",
    ]
    calls = results["calls_under_load"]
    lines += [
        "",
        "DynamoDB calls the gunicorn workers made in all runs (warm-up included), for "
        f"{calls['moves_sent']} moves sent, and the mean time each kind waited for DynamoDB "
        "Local:",
        "",
        "| request:operation | calls | mean ms |",
        "|---|---|---|",
    ]
    for name, n in sorted(calls["by_operation"].items()):
        waited = calls["seconds"].get(name, 0.0) * 1000 / n if n else 0.0
        lines.append(f"| {name} | {n} | {waited:.1f} |")
    return lines


def pages_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| page | requests | bytes | by resource type (bytes) |", "|---|---|---|---|"]
    for name in ("home", "game"):
        got = [r[name] for r in runs]
        kinds = sorted({k for g in got for k in g["by_type"]})
        parts = ", ".join(f"{k} {cell([g['by_type'].get(k, 0) for g in got])}" for k in kinds)
        lines.append(
            f"| {name} | {cell([g['requests'] for g in got])} | "
            f"{cell([g['bytes'] for g in got])} | {parts} |"
        )
    return lines


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
    "(bench/flow_stream.py), as the pages do whenever push is on.",
    "- **Waiting**: headless chromium opens the game page on both players' screens while one "
    "waits for the other's move, against the same instrumented app served on loopback; the "
    "polls are the page's own (`game.js`, every 2 s while waiting), counted in the browser, "
    "and their capacity comes from the hook. Per minute = measured RCU × 60 / seconds watched.",
    "- **Throughput**: gunicorn with 2 workers (4 threads each, as `make run` and the "
    "Procfile start it) and DynamoDB Local on loopback; the load generator is a separate "
    "process (bench/load.py), one thread and two keep-alive connections (plain http.client) "
    "per pair, players registered before the timed window, a 4 s warm-up first, then runs at "
    "4 and at 16 pairs taken in turn, so that other work on the machine weighs on both alike."
    " Each pair plays complete games (invite, accept, then moves with the other player's poll"
    " seeing each one) alternating a win and a tie. Moves/s counts moves answered inside the "
    "window; latency is the move POST's round trip. The CPU time of gunicorn and its workers "
    "and of DynamoDB Local is read from /proc before and after each run, the load generator's"
    " from its own process. DynamoDB calls are counted in the gunicorn workers by a "
    "benchmark-only gunicorn config (bench/gunicorn_conf.py) that counts calls without "
    "changing them.",
    "- **Pages**: headless Debian chromium, a fresh context (empty cache) per page, signed "
    "in; bytes are the DevTools protocol's `encodedDataLength` of every response (headers "
    "included) until the network is idle. Both players have uploaded a picture, so the pages "
    "carry their pictures. The game page is shown to the player whose turn it is, so it does "
    "not poll.",
]


def machine(m: dict[str, Any], runs: int) -> list[str]:
    return [
        f"- {m['cores']} cores, {m['cpu']}; Python {m['python']}; {m['system']}",
        f"- run on {m['date']} in {m['bench_seconds']:.0f} s; 1-minute load average "
        f"{m['load_before']:.1f} before and {m['load_after']:.1f} after (on 2 cores, anything "
        "above ~0.5 means other work shared the CPU and the timings are pessimistic)",
        f"- every figure is the median of {runs} runs, with (min–max) when they differ",
    ]
