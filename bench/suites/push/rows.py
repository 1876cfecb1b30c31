"""The push figures' summary rows, each against its target from the push issue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.harness.rows import Row
from bench.suites.push.report import samples
from bench.suites.push.sections import MB, steady_waiting
from bench.suites.push.settings import (
    HUMAN_PACE,
    TARGET_P50_MS,
    TARGET_P95_MS,
    TARGET_STREAMS_P99_RATIO,
    TARGET_WAIT_RCU,
)

TODAY = "polling: 0.17–2.5 s"
SCREEN = "Push: move to the other screen"
AFTER_POST = "Push: from the move's POST answered to the other screen"
SCHEDULES = (
    "Push: RCU per waiting game-minute by the schedules (backstop poll, streams' session re-checks)"
)
P50, P95 = f"≤ {TARGET_P50_MS:.0f}", f"≤ {TARGET_P95_MS:.0f}"
WAIT = f"≤ {TARGET_WAIT_RCU:g}"


def _under(x: float) -> Callable[[float], bool]:
    return lambda v: v <= x


def rows(push: dict[str, Any]) -> list[Row]:
    off = push["latency_off"]
    return [
        *_latency(push),
        Row(
            f"Push off (2 s polling, same run): {SCREEN[6:]}, p50 ms",
            samples(off),
            "–",
            None,
            TODAY,
        ),
        Row(f"Push off: {SCREEN[6:]}, p95 ms", [off["screen"]["p95"]], "–", None, None),
        *_costs(push),
    ]


def _latency(push: dict[str, Any]) -> list[Row]:
    """Move to screen: push on, during a sign-up flood, and push off."""
    on, flooded = push["latency_on"], push["latency_flooded"]
    rate, p50, p95 = flooded["flood"]["per_s"], _under(TARGET_P50_MS), _under(TARGET_P95_MS)
    out = [
        Row(
            f"{SCREEN}, p50 ms (median of {on['moves']} moves, min–max)",
            samples(on),
            P50,
            p50,
            TODAY,
        ),
        Row(f"{SCREEN}, p95 ms", [on["screen"]["p95"]], P95, p95, TODAY),
        Row(
            f"{SCREEN} during a sign-up flood ({rate:.0f}/s), p50 ms",
            samples(flooded),
            P50,
            p50,
            None,
        ),
        Row(
            f"{SCREEN} during the sign-up flood, p95 ms", [flooded["screen"]["p95"]], P95, p95, None
        ),
    ]
    if on["after_post"]:
        out += [
            Row(f"{AFTER_POST}, p50 ms", samples(on, "after_post"), P50, p50, None),
            Row(f"{AFTER_POST}, p95 ms", [on["after_post"]["p95"]], P95, p95, None),
        ]
    if on["event"]:
        name = "Push: move to the stream event in the other browser, p50 ms"
        out.append(Row(name, samples(on, "event"), "–", None, None))
    return out


def _costs(push: dict[str, Any]) -> list[Row]:
    """Waiting, open streams and CPU per game."""
    streams, pace, wait = push["streams"], push["human_pace"], push["waiting"]
    waiting = f"Push: RCU per waiting game-minute, both screens open {wait['seconds']:.0f} s"
    opened = f"Push: move p99 with {streams['opened']['open']} open streams ÷ without"
    opened += " (4 pairs, same run)"
    ratio = TARGET_STREAMS_P99_RATIO
    schedules = [steady_waiting(wait)["total"]] if wait["page_streams"] else []
    cpu = {mode: [pace[mode]["cpu_ms_per_game"]] for mode in ("on", "off")}
    return [
        Row(waiting, [wait["rcu_per_minute"]], WAIT, _under(TARGET_WAIT_RCU), "polling: 15"),
        *([Row(SCHEDULES, schedules, WAIT, _under(TARGET_WAIT_RCU), None)] if schedules else []),
        Row(
            "Push: stream workers' RSS per 1,000 open streams, MB",
            [streams["rss_per_1000"] / MB],
            "–",
            None,
            None,
        ),
        Row(opened, streams["p99_ratios"], f"≤ {ratio}", _under(ratio), None),
        Row(
            f"Push on: app CPU ms per game, a move every {HUMAN_PACE:.0f} s",
            cpu["on"],
            "–",
            None,
            None,
        ),
        Row(
            f"Push off: app CPU ms per game, a move every {HUMAN_PACE:.0f} s",
            cpu["off"],
            "–",
            None,
            None,
        ),
        Row("Push on ÷ push off: app CPU per game", [pace["ratio"]], "–", None, None),
        Row("Push on − push off: app CPU ms per game", [pace["difference_ms"]], "–", None, None),
    ]
