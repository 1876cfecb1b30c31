"""The report's section on the per-request CPU cuts of 7fcaba5 (measure.py), each off and on."""

from __future__ import annotations

from typing import Any

from bench.suites.cuts.switches import CANDIDATE, CUTS

LABELS = {
    **CUTS,
    "all four": "all four cuts together",
    "nothing (noise)": "nothing switched: the noise between two identical states",
    CANDIDATE: "candidate, not adopted: Flask JSON provider on orjson instead of the default",
}


def markdown(cuts: dict[str, Any] | None) -> list[str]:
    """Return the section's lines (none when the figures were not measured)."""
    if not cuts:
        return []
    version = cuts.get("orjson")
    kinds = list(next(iter(cuts["rows"].values()))["off_us"])  # move, poll, game page, home
    out = [
        "## App CPU per request: each cut of 7fcaba5 off and on",
        "",
        "One process (`python -m bench --only cuts`): an app from create_app on DynamoDB Local, "
        "played through Flask's test client as bench/flows.py plays. Each row switches one thing "
        "back to its old behaviour (off) or as shipped (on), everything else as shipped; a round "
        "plays a 7-move game off, then one on, for every row. CPU is time.process_time() of "
        "this process around each request (DynamoDB Local's CPU is not in it; the test "
        "client's is, alike in both states). Cells: median µs per request off → on, on ÷ off, "
        "and the range of the per-round ratios. Counted: every move (POST with X-Game-State), "
        "two polls answered 304 after each move, each game page and home page twice per game.",
        "",
        f"{cuts['rounds']} rounds in {cuts['seconds']:.0f} s, load average {cuts['load']:.1f} "
        "at the end; orjson "
        + (f"{version} (installed for the measurement only)" if version else "not installed")
        + ".",
        "",
        "| switched | " + " | ".join(f"{kind} µs" for kind in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for row, figures in cuts["rows"].items():
        cells = [_cell(figures, kind) for kind in kinds]
        out.append(f"| {LABELS.get(row, row)} | " + " | ".join(cells) + " |")
    return [*out, ""]


def _cell(figures: dict[str, Any], kind: str) -> str:
    ratios = figures["round_ratios"][kind]
    spread = f"; rounds {min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) > 1 else ""
    return (
        f"{figures['off_us'][kind]:,.0f} → {figures['on_us'][kind]:,.0f} "
        f"({figures['ratio'][kind]:.2f}{spread})"
    )
