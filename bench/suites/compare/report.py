"""The report's sections on baseline against current (measure.py) and on the profiles."""

from __future__ import annotations

import statistics
from typing import Any

from bench.harness.figures import cell, num
from bench.suites.compare.profiles import OUTSIDE

# (label, key in a run, lower is better)
FIGURES = (
    ("moves/s", "moves_per_s", False),
    ("move p50 ms (the POST's round trip)", "p50_ms", True),
    ("move p99 ms", "p99_ms", True),
    (
        "move to the other screen p50 ms (POST sent to the other page's event)",
        "screen_p50_ms",
        True,
    ),
    ("move to the other screen p99 ms", "screen_p99_ms", True),
    ("app CPU ms per move (web and stream masters and workers)", "app_cpu_ms_per_move", True),
    ("DynamoDB Local CPU ms per move", "db_cpu_ms_per_move", True),
    ("load generator CPU ms per move", "load_cpu_ms_per_move", True),
)
KINDS = (
    "move",
    "stream event (hub)",
    "stream event (sent)",
    "stream (opened)",
    "game_page",
    "home",
    "invite",
    "accept",
    OUTSIDE,
)


def values(compare: dict[str, Any], side: str, pairs: int, key: str) -> list[float]:
    return [r[key] for r in compare["runs"][side][str(pairs)]]


def ratios(compare: dict[str, Any], pairs: int, key: str) -> list[float]:
    """Current ÷ baseline, run by run (each pair of runs taken one after the other)."""
    return [
        c / b if b else float("nan")
        for b, c in zip(
            values(compare, "baseline", pairs, key),
            values(compare, "current", pairs, key),
            strict=True,
        )
    ]


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def markdown(compare: dict[str, Any] | None) -> list[str]:
    if not compare:
        return []
    ref, now, plan = compare["baseline"], compare["current"], compare["plan"]
    lines = [
        "## Baseline against current (issue 19)",
        "",
        f"Baseline: `{ref['name']}` ({ref['why']}, commit {ref['commit'][:10]}), checked out in "
        f"a temporary worktree; current: this tree (commit {now['commit'][:10]}"
        f"{', with uncommitted changes' if now['changed'] else ''}). Both at once, each the "
        "Procfile's web (gunicorn, 2 workers × 4 threads) and stream (gevent) processes from "
        "its own tree with tables of its own, on the same DynamoDB Local, redis-server and "
        "machine; the browser flow with push on (bench/suites/common/page_load.py: "
        f"{plan['players']} players a side taking turns, pages, forms and the pages' own "
        "streams, no polls); "
        f"{plan['rounds']} rounds of {plan['seconds']:g} s per size, the baseline then "
        "current each time. Medians (min–max); the ratio is current ÷ baseline of runs taken "
        "one after the other.",
        "",
        "| pairs | figure | baseline | current | current ÷ baseline |",
        "|---|---|---|---|---|",
    ]
    for pairs in (4, 16):
        for label, key, _ in FIGURES:
            base, cur = (
                values(compare, "baseline", pairs, key),
                values(compare, "current", pairs, key),
            )
            lines.append(
                f"| {pairs} | {label} | {cell(base)} | {cell(cur)} | "
                f"{cell(ratios(compare, pairs, key))} |"
            )
    return [*lines, *_every_run(compare), "", *profiles(compare.get("profiles") or {})]


def _every_run(compare: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "Every run:",
        "",
        "| pairs | side | moves | moves/s | p50 ms | p99 ms | screen p99 ms "
        "| app CPU ms/move | requests | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pairs in (4, 16):
        for side in ("baseline", "current"):
            for r in compare["runs"][side][str(pairs)]:
                asked = ", ".join(f"{k} {n}" for k, n in sorted(r["requests"].items()))
                lines.append(
                    f"| {pairs} | {side} | {r['moves']} | {num(r['moves_per_s'])} | "
                    f"{num(r['p50_ms'])} | {num(r['p99_ms'])} | {num(r['screen_p99_ms'])}"
                    f" | {num(r['app_cpu_ms_per_move'])} | {asked} | "
                    f"{len(r['errors'])} |"
                )
    return lines


PROFILED = (
    "of the thread holding the GIL (`--gil`: the one running Python) in every gunicorn process "
    "of a side (`--subprocesses`), while 4 pairs play the browser flow; each side in turn, after "
    "the timed runs (bench/suites/compare/profiles.py). devstack's gunicorn hooks "
    "(devstack/hooks.py, switched on by the bench) run each request inside a function named "
    "for it, so each sample "
    "knows its request; the stream process's reading and fanning out of a notice happens outside "
    "requests and is named by its frames. Each sample goes to one group: botocore's part when "
    "botocore is on the stack, else the innermost frame of a known part. CPU ms are samples ÷ "
    "rate ÷ requests served in the window (a move's own, or per move for the work every move "
    "causes); they count Python holding the GIL, so they add up to less than the CPU /proc "
    "reports above (system time, and socket calls that release the GIL, are not in them), and "
    "run under the profiler. The shares are what counts."
)


def profiles(found: dict[str, Any]) -> list[str]:
    """Per request: CPU ms and where it goes, current against baseline."""
    if not found:
        return ["## Profiles", "", "py-spy was not installed: no profiles.", ""]
    rate = next(iter(found.values()))["rate"]
    lines = [
        "## Profiles: where the app's CPU goes, per request (issue 19, part 1)",
        "",
        f"py-spy {rate} samples a second {PROFILED}",
        "",
        "| request | CPU ms (current / baseline) | per | samples (current) "
        "| groups, current (baseline) |",
        "|---|---|---|---|---|",
    ]
    cur, base = (
        found.get("current", {}).get("requests", {}),
        found.get("baseline", {}).get("requests", {}),
    )
    for kind in [k for k in KINDS if k in cur] + sorted(set(cur) - set(KINDS)):
        got, was = cur[kind], base.get(kind, {})
        shares = ", ".join(
            f"{g} {100 * s:.0f}% ({100 * was.get('groups', {}).get(g, 0.0):.0f}%)"
            for g, s in got["groups"].items()
            if s >= 0.02
        )
        lines.append(
            f"| {kind} | {num(got['ms_per'])} / {num(was.get('ms_per', float('nan')))} "
            f"| {got['per']} | {got['samples']} | {shares} |"
        )
    return [*lines, *_modules(cur), ""]


def _modules(cur: dict[str, Any]) -> list[str]:
    """The modules each request's samples were in, current side."""
    lines = [
        "",
        "The modules the samples were in (own time, the top 8), current:",
        "",
        "| request | modules |",
        "|---|---|",
    ]
    for kind in [k for k in KINDS if k in cur]:
        top = ", ".join(f"`{m}` {100 * s:.0f}%" for m, s in cur[kind]["top_modules"])
        lines.append(f"| {kind} | {top} |")
    return lines


def summary(compare: dict[str, Any] | None) -> list[tuple[str, list[float], str, Any, Any]]:
    """Summary rows: (name, values, target, check, what to compare with)."""
    if not compare:
        return []
    cpu = values(compare, "current", 4, "app_cpu_ms_per_move")
    was = cell(values(compare, "baseline", 4, "app_cpu_ms_per_move"))
    return [
        (
            "Browser flow, push on: app CPU ms per move, 4 pairs (current)",
            cpu,
            "≤ 5.5",
            lambda v: v <= 5.5,
            f"baseline {was}",
        ),
        (
            "Browser flow, push on: move p99 ms, 16 pairs (current)",
            values(compare, "current", 16, "p99_ms"),
            "≤ 66",
            lambda v: v <= 66,
            f"baseline {cell(values(compare, 'baseline', 16, 'p99_ms'))}",
        ),
        *[
            (
                f"Browser flow, push on: {label.split(' (')[0]}, {pairs} pairs, current ÷ baseline",
                ratios(compare, pairs, key),
                "–",
                None,
                None,
            )
            for pairs in (4, 16)
            for label, key, _ in FIGURES[:3] + FIGURES[5:6]
        ],
    ]
