"""The push benchmark's part of docs/benchmarks.md: its section, and its summary rows' data."""

from __future__ import annotations

from typing import Any

from bench.suites.push.method import method
from bench.suites.push.sections import (
    GAME_JS,
    MB,
    backstop_seconds,
    latency_table,
    pace_lines,
    steady_waiting,
    streams_lines,
    waiting_lines,
)
from bench.suites.push.settings import (
    HUMAN_PACE,
    TARGET_P50_MS,
    TARGET_P95_MS,
    TARGET_STREAMS_P99_RATIO,
    TARGET_WAIT_RCU,
)
from bench.suites.push.why import why_latency, why_streams, why_waiting

# What other modules take from here (bench/report.py, bench/notes.py); the sections' text lives
# in bench/push_sections.py, the method in bench/push_method.py, the notes in bench/push_why.py.
__all__ = [
    "GAME_JS",
    "MB",
    "backstop_seconds",
    "markdown",
    "method",
    "page_streams",
    "samples",
    "steady_waiting",
    "summary",
    "why_latency",
    "why_streams",
    "why_waiting",
]


def samples(run: dict[str, Any], span: str = "screen") -> list[float]:
    """Each move's milliseconds from its click to the other screen (or to `span`'s end)."""
    keys = {
        "screen": ("seen", "click"),
        "frame": ("frame", "click"),
        "event": ("event", "click"),
        "after_post": ("seen", "posted"),
    }
    end, start = keys[span]
    return [r[end] - r[start] for r in run["records"] if r.get(end) and r.get(start)]


def page_streams(push: dict[str, Any]) -> bool:
    """Did the game pages open a stream of their own (game.js), or only poll?"""
    return bool(push["latency_on"]["page_streams"] and push["waiting"]["page_streams"])


def markdown(push: dict[str, Any] | None) -> list[str]:
    """The report's push section."""
    if not push:
        return []
    own = page_streams(push)
    lines = [
        "## Push (live updates)",
        "",
        f"Run in {push['seconds']:.0f} s (stack up in {push['stack_seconds']:.0f} s), sizes "
        + ", ".join(f"{k} {v}" for k, v in push["sizes"].items())
        + ".",
        "",
    ]
    if not own:
        lines += [
            "**The game page opened no stream of its own in this run**: tictactoe/static/"
            "game.js still polls every 2 s with push on, so the 'other screen' and waiting "
            "figures with push on are the polling page's, and the 'stream event' column times "
            "the push path alone (a probe EventSource of ours in the other page).",
            "",
        ]
    lines += [
        "### Move to screen",
        "",
        f"Targets: p50 ≤ {TARGET_P50_MS:.0f} ms, p95 ≤ {TARGET_P95_MS:.0f} ms from the click to "
        "the other screen.",
        "",
        *latency_table(push),
        "### Waiting with push on",
        "",
        f"Target ≤ {TARGET_WAIT_RCU:g} RCU per game-minute.",
        "",
        *waiting_lines(push),
        "### Open streams",
        "",
        f"Target: move p99 with the streams open ≤ {TARGET_STREAMS_P99_RATIO} × without.",
        "",
        *streams_lines(push),
        "### App CPU per game at a human pace",
        "",
        *pace_lines(push),
    ]
    return lines


def summary(push: dict[str, Any]) -> list[tuple[str, list[float], str, Any, Any]]:
    """(figure, values, target, test, today's) for the report's summary table."""
    on, flooded, off = push["latency_on"], push["latency_flooded"], push["latency_off"]
    rate = flooded["flood"]["per_s"]
    streams, pace, wait = push["streams"], push["human_pace"], push["waiting"]
    today = "polling: 0.17–2.5 s"
    rows: list[tuple[str, list[float], str, Any, Any]] = [
        (
            f"Push: move to the other screen, p50 ms (median of {on['moves']} moves, min–max)",
            samples(on),
            f"≤ {TARGET_P50_MS:.0f}",
            lambda v: v <= TARGET_P50_MS,
            today,
        ),
        (
            "Push: move to the other screen, p95 ms",
            [on["screen"]["p95"]],
            f"≤ {TARGET_P95_MS:.0f}",
            lambda v: v <= TARGET_P95_MS,
            today,
        ),
        (
            f"Push: move to the other screen during a sign-up flood ({rate:.0f}/s), p50 ms",
            samples(flooded),
            f"≤ {TARGET_P50_MS:.0f}",
            lambda v: v <= TARGET_P50_MS,
            None,
        ),
        (
            "Push: move to the other screen during the sign-up flood, p95 ms",
            [flooded["screen"]["p95"]],
            f"≤ {TARGET_P95_MS:.0f}",
            lambda v: v <= TARGET_P95_MS,
            None,
        ),
    ]
    if on["after_post"]:
        rows += [
            (
                "Push: from the move's POST answered to the other screen, p50 ms",
                samples(on, "after_post"),
                f"≤ {TARGET_P50_MS:.0f}",
                lambda v: v <= TARGET_P50_MS,
                None,
            ),
            (
                "Push: from the move's POST answered to the other screen, p95 ms",
                [on["after_post"]["p95"]],
                f"≤ {TARGET_P95_MS:.0f}",
                lambda v: v <= TARGET_P95_MS,
                None,
            ),
        ]
    if on["event"]:
        rows.append(
            (
                "Push: move to the stream event in the other browser, p50 ms",
                samples(on, "event"),
                "–",
                None,
                None,
            )
        )
    rows += [
        (
            "Push off (2 s polling, same run): move to the other screen, p50 ms",
            samples(off),
            "–",
            None,
            today,
        ),
        ("Push off: move to the other screen, p95 ms", [off["screen"]["p95"]], "–", None, None),
        (
            f"Push: RCU per waiting game-minute, both screens open {wait['seconds']:.0f} s",
            [wait["rcu_per_minute"]],
            f"≤ {TARGET_WAIT_RCU:g}",
            lambda v: v <= TARGET_WAIT_RCU,
            "polling: 15",
        ),
        *(
            [
                (
                    "Push: RCU per waiting game-minute by the schedules (backstop poll, streams' "
                    "session re-checks)",
                    [steady_waiting(wait)["total"]],
                    f"≤ {TARGET_WAIT_RCU:g}",
                    lambda v: v <= TARGET_WAIT_RCU,
                    None,
                )
            ]
            if wait["page_streams"]
            else []
        ),
        (
            "Push: stream workers' RSS per 1,000 open streams, MB",
            [streams["rss_per_1000"] / MB],
            "–",
            None,
            None,
        ),
        (
            f"Push: move p99 with {streams['opened']['open']} open streams ÷ without (4 pairs, "
            "same run)",
            streams["p99_ratios"],
            f"≤ {TARGET_STREAMS_P99_RATIO}",
            lambda v: v <= TARGET_STREAMS_P99_RATIO,
            None,
        ),
        (
            f"Push on: app CPU ms per game, a move every {HUMAN_PACE:.0f} s",
            [pace["on"]["cpu_ms_per_game"]],
            "–",
            None,
            None,
        ),
        (
            f"Push off: app CPU ms per game, a move every {HUMAN_PACE:.0f} s",
            [pace["off"]["cpu_ms_per_game"]],
            "–",
            None,
            None,
        ),
        ("Push on ÷ push off: app CPU per game", [pace["ratio"]], "–", None, None),
        ("Push on − push off: app CPU ms per game", [pace["difference_ms"]], "–", None, None),
    ]
    return rows
