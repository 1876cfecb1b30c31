"""Turn the benchmark's results into docs/benchmarks.md: every figure next to its target."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from . import flood, push_report
from . import results as counting
from .figures import SAMPLE, calls_per_move, capacity, cell, cpu_per_move, num
from .notes import cost_model, missed_notes

KB = 1000  # page weight target: 50 KB = 50,000 bytes

# Capacity scenarios, as bench/__main__.py names them, and how the summary labels them.
SCENARIOS = (("", ""), ("_new", ", new accounts"), ("_pictures", ", players with pictures"))


class Row:
    """One summary line: a figure's runs, its target and the sample's number."""

    def __init__(self, name: str, values: Sequence[float], target: str,
                 ok: Callable[[float], bool] | None, sample: float | str | None,
                 lower_is_better: bool = True) -> None:  # fmt: skip
        self.name, self.values, self.target, self.ok = name, values, target, ok
        self.sample, self.lower = sample, lower_is_better

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def line(self) -> str:
        verdict = "" if self.ok is None else ("met" if self.ok(self.median) else "**missed**")
        return (
            f"| {self.name} | {cell(self.values)} | {self.target} | {self.versus()} | {verdict} |"
        )

    def versus(self) -> str:
        """The sample's figure, and how many times better (or worse) ours is."""
        if not isinstance(self.sample, int | float):
            return str(self.sample) if self.sample is not None else "–"
        if not self.median or self.median != self.median:
            return num(self.sample)
        better = self.sample / self.median if self.lower else self.median / self.sample
        if better >= 1:
            return f"{num(self.sample)} (ours {better:.1f}× better)"
        return f"{num(self.sample)} (ours {1 / better:.1f}× worse)"


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
                Row(f"Cost (5×WCU + RCU) per {label}{who}", cost, "≤ 90", lambda v: v <= 90,
                    SAMPLE[f"{game}_cost"]),
                Row(f"DynamoDB calls per {label}{who}", calls, "–", None, SAMPLE[f"{game}_calls"]),
            ]  # fmt: skip
    out += [
        Row("Waiting: RCU per minute per game (both screens)", waiting, "≤ 15",
            lambda v: v <= 15, SAMPLE["wait_rcu_min"]),
        Row("Moves/s, 4 pairs", [r["moves_per_s"] for r in tp4], "≥ 156 (3× 52)",
            lambda v: v >= 156, SAMPLE["moves_s_4"], lower_is_better=False),
        Row("Move p50 ms, 4 pairs", [r["p50_ms"] for r in tp4], "–", None, SAMPLE["p50_4"]),
        Row("Move p95 ms, 4 pairs", [r["p95_ms"] for r in tp4], "–", None, None),
        Row("Move p99 ms, 4 pairs", [r["p99_ms"] for r in tp4], "≤ 72", lambda v: v <= 72,
            SAMPLE["p99_4"]),
        Row("Moves/s, 16 pairs", [r["moves_per_s"] for r in tp16], "–", None,
            SAMPLE["moves_s_16"], lower_is_better=False),
        Row("Move p50 ms, 16 pairs", [r["p50_ms"] for r in tp16], "–", None, None),
        Row("Move p95 ms, 16 pairs", [r["p95_ms"] for r in tp16], "–", None, None),
        Row("Move p99 ms, 16 pairs", [r["p99_ms"] for r in tp16], "–", None, SAMPLE["p99_16"]),
        Row("CPU ms per move at 4 pairs, all processes (app + DynamoDB Local + load)",
            [sum(cpu_per_move(r)) for r in tp4], f"≤ {2000 / 156:.1f} (156/s on 2 cores)",
            lambda v: v <= 2000 / 156, None),
        Row("Moves/s ceiling on 2 idle cores (2,000 ÷ CPU ms per move)",
            [2000 / sum(cpu_per_move(r)) for r in tp4], "≥ 156", lambda v: v >= 156,
            SAMPLE["moves_s_4"], lower_is_better=False),
        Row("Moves/s at 16 pairs ÷ at 4 pairs (back-to-back runs)",
            [b["moves_per_s"] / a["moves_per_s"] for a, b in zip(tp4, tp16, strict=True)],
            "–", None, "1.0 (52 at both)", lower_is_better=False),
        Row("Move p99 at 16 pairs ÷ at 4 pairs (back-to-back runs)",
            [b["p99_ms"] / a["p99_ms"] for a, b in zip(tp4, tp16, strict=True)],
            "–", None, f"{260 / 72:.1f} (260 / 72 ms)"),
        Row("DynamoDB calls per move (under load)", [calls_per_move(results)], "1 (ideal)",
            lambda v: v <= 1, None),
        Row("Home page, KB transferred (cold cache)", [p["home"]["bytes"] / KB for p in page],
            "≤ 50", lambda v: v <= 50, "Bootstrap 3 CSS + JS on every page"),
        Row("Game page, KB transferred (cold cache)", [p["game"]["bytes"] / KB for p in page],
            "≤ 50", lambda v: v <= 50, "Bootstrap 3 CSS + JS on every page"),
    ]  # fmt: skip
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
    return out


def push_rows(push: dict[str, Any] | None) -> list[Row]:
    """The push figures (bench/push.py), each against its target from the push issue."""
    if not push:
        return []
    return [Row(name, values, target, ok, today) for name, values, target, ok, today in
            push_report.summary(push)]  # fmt: skip


def avatar_rows(avatars: dict[str, Any] | None) -> list[Row]:
    if avatars is None:
        return [Row("Avatars: 12 MP JPEG (bench/avatars.py not present)", [float("nan")],
                    "< 150 ms, < 100 MB, ≥ 4×", None, None)]  # fmt: skip
    case = avatars["cases"][0]
    fast = case["optimized"]
    return [
        Row(f"Avatars: {case['name']} ms", [fast["median_ms"], fast["min_ms"], fast["max_ms"]],
            "< 150", lambda v: v < 150, None),
        Row(f"Avatars: {case['name']} peak MB", [fast["peak_rss_mb"]], "< 100",
            lambda v: v < 100, None),
        Row(f"Avatars: {case['name']} speed-up over a naive decode", [case["speedup"]], "≥ 4×",
            lambda v: v >= 4, None, lower_is_better=False),
        *_ceiling_rows(avatars.get("ceiling")),
    ]  # fmt: skip


def _ceiling_rows(ceiling: dict[str, Any] | None) -> list[Row]:
    """The worst adversarial upload: how far it raised a worker's peak memory."""
    if ceiling is None:
        return []
    worst = ceiling["worst"]
    return [Row(f"Avatars: worst adversarial upload ({worst['name']}), peak MB over idle",
                [worst["added_mb"]], f"≤ {ceiling['target_mb']}",
                lambda v: v <= ceiling["target_mb"], "358 before the ceiling")]  # fmt: skip


def _usage_table(snapshots: list[dict[str, Any]], part: str, head: str) -> list[str]:
    names = sorted({k for s in snapshots for k in s[part]})
    lines = [f"| {head} | calls | RCU | WCU | cost |", "|---|---|---|---|---|"]
    for name in names:
        got = [s[part].get(name, {"calls": 0, "rcu": 0.0, "wcu": 0.0, "cost": 0.0})
               for s in snapshots]  # fmt: skip
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


def _machine(m: dict[str, Any], runs: int) -> list[str]:
    return [
        f"- {m['cores']} cores, {m['cpu']}; Python {m['python']}; {m['system']}",
        f"- run on {m['date']} in {m['bench_seconds']:.0f} s; 1-minute load average "
        f"{m['load_before']:.1f} before and {m['load_after']:.1f} after (on 2 cores, anything "
        "above ~0.5 means other work shared the CPU and the timings are pessimistic)",
        f"- every figure is the median of {runs} runs, with (min–max) when they differ",
    ]


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
        *_machine(results["machine"], results["runs"]),
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
        *METHOD,
        *(push_report.method() if results.get("push") else []),
        "",
        "## Capacity of a 7-move win, per request type",
        "",
        *_usage_table(win, "by_type", "request"),
        "",
        "Per table and index:",
        "",
        *_usage_table(win, "by_target", "table / index"),
        "",
        *_pictures_tables(results),
        *_session_checks_table(results.get("session_checks")),
        *counting.markdown(results.get("counting")),
        "## Capacity of a 9-move tie, per request type",
        "",
        *_usage_table(tie, "by_type", "request"),
        "",
        "Per table and index:",
        "",
        *_usage_table(tie, "by_target", "table / index"),
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
        *_throughput_table(results),
        "",
        "## Pages",
        "",
        *_pages_table(results["pages"]),
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
    return "\n".join(out) + "\n"


def _session_checks_table(rows: list[dict[str, Any]] | None) -> list[str]:
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


def _pictures_tables(results: dict[str, Any]) -> list[str]:
    runs = [r["capacity"] for r in results["capacity"].get("win_pictures", [])]
    if not runs:
        return []
    return [
        "## Capacity of a 7-move win between players with pictures",
        "",
        *_usage_table(runs, "by_type", "request"),
        "",
        *_usage_table(runs, "by_target", "table / index"),
        "",
    ]


def _throughput_table(results: dict[str, Any]) -> list[str]:
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


def _pages_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| page | requests | bytes | by resource type (bytes) |", "|---|---|---|---|"]
    for name in ("home", "game"):
        got = [r[name] for r in runs]
        kinds = sorted({k for g in got for k in g["by_type"]})
        parts = ", ".join(f"{k} {cell([g['by_type'].get(k, 0) for g in got])}" for k in kinds)
        lines.append(f"| {name} | {cell([g['requests'] for g in got])} | "
                     f"{cell([g['bytes'] for g in got])} | {parts} |")  # fmt: skip
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
    "once; both load home at the end. Cost = 5 × WCU + RCU.",
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
