"""The report's notes: for each target missed, by how much, why, and what would close it."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bench.harness.figures import cell
from bench.harness.rows import Row


def missed_notes(summary: list[tuple[ModuleType, Row]], results: dict[str, Any]) -> list[str]:
    """Say, for each target missed, by how much, why (from the suites' WHY), and what would
    close it; a row's own suite explains it first, then the others in the registry's order."""
    missed = [(suite, r) for suite, r in summary if r.ok is not None and not r.ok(r.median)]
    if not missed:
        return ["Every target is met.", ""]
    suites = list(dict.fromkeys(suite for suite, _ in summary))
    lines = ["### Targets missed: by how much, why, what would close it", ""]
    told: dict[str, str] = {}
    for own, row in missed:
        whys = [getattr(s, "WHY", {}) for s in (own, *(s for s in suites if s is not own))]
        found = (
            explain(results) for why in whys for key, explain in why.items() if key in row.name
        )
        why = next((text for text in found if text), "")
        if why in told:
            why = f"Same cause as for {told[why]}."
        else:
            told[why] = f"'{row.name}'"
        lines.append(f"- **{row.name}**: {cell(row.values)} against {row.target}. {why}")
    return [*lines, ""]
