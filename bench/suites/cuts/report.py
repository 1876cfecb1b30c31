"""The report's section on the per-request CPU cuts of 7fcaba5 (measure.py), each off and on,
and on what the CloudWatch metrics line costs."""

from __future__ import annotations

from typing import Any

from bench.suites.cuts.switches import CANDIDATE, COST, CUTS, METRICS

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
        if row != METRICS:
            out.append(_line(LABELS.get(row, row), figures, kinds))
    return [*out, "", *_cost(cuts["rows"].get(METRICS), kinds)]


def _cost(figures: dict[str, Any] | None, kinds: list[str]) -> list[str]:
    """The metrics line's table: a cost production pays, not a cut (none when not measured)."""
    if not figures:
        return []
    return [
        "### What the CloudWatch metrics line costs (issue 25), on ÷ off",
        "",
        "Measured in the same rounds as the cuts above, everything else as shipped. Off: "
        "TICTACTOE_METRICS_FILE unset, as every row above runs; on: metrics.configure on a "
        "temporary file, so each request appends its Embedded Metric Format line "
        "(tictactoe/adapters/metrics.py) as it does on Elastic Beanstalk. Above 1.00 is "
        "what the line adds to a request's CPU; compare with the noise row above.",
        "",
        "| switched | " + " | ".join(f"{kind} µs" for kind in kinds) + " |",
        "|---|" + "---|" * len(kinds),
        _line(COST, figures, kinds),
        "",
    ]


def _line(label: str, figures: dict[str, Any], kinds: list[str]) -> str:
    return f"| {label} | " + " | ".join(_cell(figures, kind) for kind in kinds) + " |"


def _cell(figures: dict[str, Any], kind: str) -> str:
    ratios = figures["round_ratios"][kind]
    spread = f"; rounds {min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) > 1 else ""
    return (
        f"{figures['off_us'][kind]:,.0f} → {figures['on_us'][kind]:,.0f} "
        f"({figures['ratio'][kind]:.2f}{spread})"
    )
