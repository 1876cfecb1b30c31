"""A thin DynamoDB client for the two hottest calls, measured against botocore (issue 27, 1).

Client CPU per call of the move's UpdateItem and the poll's GetItem, botocore as the app
builds it against a minimal client (botocore's SigV4Auth, one kept-alive urllib3 pool,
json.loads), and the calls a move brings in the browser flow, so the report can say what
such a client would save per move. Measured only: the app keeps botocore.

`python -m bench --only thin [--quick]` runs it alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bench.harness.context import Context
from bench.harness.rows import Row
from bench.suites.thin import counts, report, timing

STAGE = "app"
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    quick = context.runs < 2
    settings = context.stack.settings
    log.info("thin: client CPU per call, botocore against a minimal client (bench/suites/thin/)")
    calls = timing.measure(settings, quick)
    log.info("thin: DynamoDB calls per move in the browser flow, polling and push on")
    found = counts.measure(settings, Path(context.workdir))
    return {"thin": {"calls": calls, "counts": found}}


def rows(results: dict[str, Any]) -> list[Row]:
    """What the thin client would save per move, beside the gap it would have to close."""
    thin = results.get("thin")
    if not thin:
        return []
    now_ms, _ = report.flow_ms(results)
    return [
        Row(
            f"Thin client for UpdateItem and GetItem alone: app CPU ms saved per move, {flow}",
            [report.saved_ms(thin, flow)],
            "–",
            None,
            f"gap to ≤ {report.TARGET_MS:.0f}: {now_ms - report.TARGET_MS:.1f}",
        )
        for flow in counts.FLOWS
        if flow in thin["counts"]
    ]


def sections(results: dict[str, Any]) -> list[str]:
    return report.markdown(results)
