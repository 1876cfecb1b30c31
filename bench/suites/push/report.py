"""The push benchmark's part of docs/benchmarks.md: its section, and its summary rows' data."""

from __future__ import annotations

from typing import Any

from bench.suites.push.sections import (
    latency_table,
    pace_lines,
    streams_lines,
    waiting_lines,
)
from bench.suites.push.settings import (
    TARGET_P50_MS,
    TARGET_P95_MS,
    TARGET_STREAMS_P99_RATIO,
    TARGET_WAIT_RCU,
)


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


NO_STREAM = (
    "**The game page opened no stream of its own in this run**: tictactoe/static/"
    "game.js still polls every 2 s with push on, so the 'other screen' and waiting "
    "figures with push on are the polling page's, and the 'stream event' column times "
    "the push path alone (a probe EventSource of ours in the other page)."
)


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
        lines += [NO_STREAM, ""]
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
