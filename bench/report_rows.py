"""The summary's rows: a figure's runs, its target and what it is compared with; and the rows
of the avatar, push and issue-19 figures."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from . import push_report, report_bill, report_compare
from .figures import cell, num


class Row:
    """One summary line: a figure's runs, its target and the sample's number."""

    def __init__(
        self,
        name: str,
        values: Sequence[float],
        target: str,
        ok: Callable[[float], bool] | None,
        sample: float | str | None,
        lower_is_better: bool = True,
    ) -> None:
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


def push_rows(push: dict[str, Any] | None) -> list[Row]:
    """The push figures (bench/push.py), each against its target from the push issue."""
    if not push:
        return []
    return [
        Row(name, values, target, ok, today)
        for name, values, target, ok, today in push_report.summary(push)
    ]


def avatar_rows(avatars: dict[str, Any] | None) -> list[Row]:
    if avatars is None:
        return [
            Row(
                "Avatars: 12 MP JPEG (bench/avatars.py not present)",
                [float("nan")],
                "< 150 ms, < 100 MB, ≥ 4×",
                None,
                None,
            )
        ]
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


def issue19_rows(results: dict[str, Any]) -> list[Row]:
    """What AWS bills for a game (bench/billing.py), and baseline against current."""
    out = []
    # The target is on the push flow (pages on their streams); polling pages beside it.
    for key, how, target in (("win_push", "push on", True), ("win", "polling pages", False)):
        win = [r["capacity"] for r in results["capacity"].get(key, []) if "aws" in r["capacity"]]
        if not win:
            continue
        label = f"per 7-move win, established players, {how}"
        local = [s["total"]["cost"] for s in win]
        out += [
            Row(
                f"AWS-billed WCU {label}",
                report_bill.aws(win, "wcu"),
                "–",
                None,
                f"DynamoDB Local: {cell([s['total']['wcu'] for s in win])}",
            ),
            Row(
                f"AWS-billed RCU {label}",
                report_bill.aws(win, "rcu"),
                "–",
                None,
                f"DynamoDB Local: {cell([s['total']['rcu'] for s in win])}",
            ),
            Row(
                f"AWS-billed cost (5×WCU + RCU) {label}",
                report_bill.aws(win, "cost"),
                f"≤ {report_bill.TARGET_COST}" if target else "–",
                (lambda v: v <= report_bill.TARGET_COST) if target else None,
                f"DynamoDB Local: {cell(local)}",
            ),
        ]
    for name, values, target, ok, versus in report_compare.summary(results.get("compare")):
        out.append(Row(name, values, target, ok, versus))
    return out
