"""The reasons for new reads and writes live in bench/, so `make bench` writes them again."""

from __future__ import annotations

from pathlib import Path

from bench.suites import capacity

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmarks_doc_carries_the_reasons_as_written() -> None:
    reasons = capacity.REASONS.read_text().strip()
    assert reasons.startswith("## New reads and writes, and why")
    assert reasons in (ROOT / "docs" / "benchmarks.md").read_text()


def test_each_reason_names_the_capacity_test_that_holds_it() -> None:
    parts = capacity.REASONS.read_text().split("\n### ")[1:]
    assert parts, "no reason written"
    for part in parts:
        assert "tests/store/test_capacity_" in part, part.splitlines()[0]
