"""Write docs/benchmarks.md from the results: every suite's rows, method and sections."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from bench.harness.notes import missed_notes
from bench.harness.rows import Row


def render(results: dict[str, Any], suites: list[ModuleType]) -> str:
    """Return docs/benchmarks.md for the suites that reported (results["suites"])."""
    reported = [s for s in suites if s.__name__.rsplit(".", 1)[1] in results["suites"]]

    def each(part: str) -> list[Any]:
        found: Callable[[dict[str, Any]], list[Any]]
        return [x for s in reported if (found := getattr(s, part, None)) for x in found(results)]

    summary = [(s, row) for s in reported if hasattr(s, "rows") for row in s.rows(results)]
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`), which starts its own DynamoDB Local and "
        "app. Targets and the classic sample's figures are from issue 6. Edit the code, not "
        "this file.",
        "",
        "## Machine",
        *machine(results["machine"], results["runs"]),
        "",
        "## Summary",
        "",
        "| figure | ours: median (min–max) | target | classic sample (ratio), or polling today | |",
        "|---|---|---|---|---|",
        *(row.line() for _, row in summary),
        "",
        *missed_notes(summary, results),
        *each("preface"),
        "## How each figure is measured",
        "",
        *each("method"),
        "",
        *each("sections"),
    ]
    return "\n".join(out) + "\n"


def machine(m: dict[str, Any], runs: int) -> list[str]:
    return [
        f"- {m['cores']} cores, {m['cpu']}; Python {m['python']}; {m['system']}",
        f"- run on {m['date']} in {m['bench_seconds']:.0f} s; 1-minute load average "
        f"{m['load_before']:.1f} before and {m['load_after']:.1f} after (on 2 cores, anything "
        "above ~0.5 means other work shared the CPU and the timings are pessimistic)",
        f"- every figure is the median of {runs} runs, with (min–max) when they differ",
    ]


__all__ = ["Row", "machine", "render"]
