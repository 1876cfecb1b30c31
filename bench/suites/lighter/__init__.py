"""A lighter path to DynamoDB and less per request (issue 27, items 1 and 3): client CPU per
DynamoDB call on each path, and app CPU per request before and after, in one process.

`python -m bench --only lighter [--quick]` runs it alone.
"""

from __future__ import annotations

import logging
from typing import Any

from bench.harness.context import Context
from bench.suites.lighter import per_call, per_request, report

STAGE = "app"
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    quick = context.runs < 2
    settings = context.stack.settings
    log.info("lighter: client CPU per DynamoDB call, old path and new (bench/suites/lighter/)")
    calls = per_call.measure(settings, quick)
    log.info("lighter: app CPU per request, each change before and after")
    return {"lighter": {"calls": calls, "requests": per_request.measure(settings, quick)}}


def sections(results: dict[str, Any]) -> list[str]:
    return report.markdown(results.get("lighter"))
