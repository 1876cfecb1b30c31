"""Picture processing (draft-mode decode) against a naive decode, and the memory ceiling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bench.harness.context import Context
from bench.harness.rows import Row
from bench.suites.avatars import measure

STAGE = "alone"
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    log.info("avatars")
    return {"avatars": measure.run()}


def rows(results: dict[str, Any]) -> list[Row]:
    """The 12 MP JPEG's time, peak memory and speed-up; the worst adversarial upload."""
    avatars = results["avatars"]
    case = avatars["cases"][0]
    fast = case["optimized"]
    return [
        Row(
            f"Avatars: {case['name']} ms",
            [fast["median_ms"], fast["min_ms"], fast["max_ms"]],
            "< 150",
            lambda v: v < 150,
            None,
        ),
        Row(
            f"Avatars: {case['name']} peak MB",
            [fast["peak_rss_mb"]],
            "< 100",
            lambda v: v < 100,
            None,
        ),
        Row(
            f"Avatars: {case['name']} speed-up over a naive decode",
            [case["speedup"]],
            "≥ 4×",
            lambda v: v >= 4,
            None,
            lower_is_better=False,
        ),
        *_ceiling_rows(avatars.get("ceiling")),
    ]


def _ceiling_rows(ceiling: dict[str, Any] | None) -> list[Row]:
    """The worst adversarial upload: how far it raised a worker's peak memory."""
    if ceiling is None:
        return []
    worst = ceiling["worst"]
    return [
        Row(
            f"Avatars: worst adversarial upload ({worst['name']}), peak MB over idle",
            [worst["added_mb"]],
            f"≤ {ceiling['target_mb']}",
            lambda v: v <= ceiling["target_mb"],
            "358 before the ceiling",
        )
    ]


def sections(results: dict[str, Any]) -> list[str]:
    return ["## Avatars", "", measure.report(results["avatars"]), ""]


def _avatar_why(results: dict[str, Any]) -> str:
    return (
        "The avatar benchmark is bench/suites/avatars/measure.py's own (wall-clock, 7 runs in "
        "fresh processes); its times rise with the load average noted under Machine."
    )


WHY: dict[str, Callable[[dict[str, Any]], str]] = {"Avatars": _avatar_why}
