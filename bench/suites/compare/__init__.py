"""Baseline against current: a git ref's tree and this one, the browser flow with push on."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from bench.harness.context import Context
from bench.harness.figures import num
from bench.harness.rows import Row
from bench.suites.compare import measure, report
from bench.suites.thin.report import saved_ms, spent_ms

STAGE = "services"
log = logging.getLogger("bench")


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-compare", action="store_true", help="leave baseline against current out"
    )


def run(context: Context) -> dict[str, Any]:
    """Both sides on the stack's DynamoDB Local and S3, its app stopped."""
    if context.args.no_compare:
        return {}
    log.info("baseline against current (bench/suites/compare/)")
    plan = measure.Plan.quick() if context.args.quick else measure.Plan()
    stack = context.stack
    endpoints = stack.settings.endpoint or "", stack.settings.s3_endpoint or ""
    return {"compare": measure.run(plan, *endpoints, stack.db.pid, context.workdir)}


def rows(results: dict[str, Any]) -> list[Row]:
    return [Row(*fields) for fields in report.summary(results["compare"])]


def sections(results: dict[str, Any]) -> list[str]:
    return [*report.markdown(results["compare"]), ""]


def _browser_why(results: dict[str, Any]) -> str:
    found = ((results.get("compare") or {}).get("profiles") or {}).get("current", {})
    parts = []
    for kind in ("move", "stream event (hub)", "stream (opened)", "game_page", "home"):
        got = found.get("requests", {}).get(kind)
        if got:
            top = ", ".join(f"{g} {100 * s:.0f}%" for g, s in list(got["groups"].items())[:3])
            parts.append(f"{kind} ({num(got['ms_per'])} ms a {got['per']}): {top}")
    said = (
        "What the profile of the current side says (see 'Profiles'): " + "; ".join(parts) + "."
        if parts
        else "No profile was recorded (py-spy missing)."
    )
    return f"{said} {_cuts_said(results.get('cuts'))}" + (
        " What stands in the way: botocore's share is one DynamoDB call's fixed work (SigV4 "
        "signing, its event hooks, http.client and urllib3, parsing the JSON answer) repeated "
        "for every call, spread over hundreds of functions with no hot spot, and the pages "
        "that make several calls (home: two queries and a batch read; invite: six calls) "
        "weigh most per move. Closing the gap takes fewer calls per request (the table "
        "designs of 'Writing less per game' price what each would cost in writes) or a "
        f"lighter DynamoDB client than botocore.{_thin_said(results.get('thin'))}"
    )


def _thin_said(thin: dict[str, Any] | None) -> str:
    """One sentence on what a thin client of our own was measured to save (suites/thin)."""
    if not thin:
        return " No well-kept library offers one, and the thin suite did not run this time."
    flow = "push on" if "push on" in thin["counts"] else "polling"
    best = max(saved_ms(thin, flow), saved_ms(thin, flow, "thin, signer kept"))
    return (
        " One of our own for the two hottest calls (see 'A thin DynamoDB client for the two "
        f"hottest calls, measured') saves {best:.2f} ms a move ({flow}), and even one that "
        f"cost nothing would save {spent_ms(thin, flow):.2f} ms: not the gap, so botocore stays."
    )


def _cuts_said(cuts: dict[str, Any] | None) -> str:
    """One sentence on what the measured per-request cuts gave (bench/suites/cuts/measure.py)."""
    if not cuts:
        return ""
    rows, said = cuts["rows"], []
    for row, what in (
        ("all four", "the four cuts of 7fcaba5 together"),
        ("orjson", "an orjson JSON provider (not adopted)"),
    ):
        got = rows.get(row)
        if got:
            said.append(
                f"{what} {got['ratio']['move']:.2f} of a move's CPU and "
                f"{got['ratio']['poll']:.2f} of a poll's"
            )
    noise = rows.get("nothing (noise)")
    tail = f" (the noise row: {noise['ratio']['move']:.2f})" if noise else ""
    return (
        "Measured one by one ('App CPU per request'): " + "; ".join(said) + tail + "."
        if said
        else ""
    )


WHY: dict[str, Callable[[dict[str, Any]], str]] = {"Browser flow": _browser_why}
