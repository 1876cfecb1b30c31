"""A summary row: a figure's runs, its target and what it is compared with."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from bench.harness.figures import cell, num


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
