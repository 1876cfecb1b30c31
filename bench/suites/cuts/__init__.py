"""App CPU per request with each CPU cut of 7fcaba5 off and on, and the metrics line's cost,
in one process."""

from __future__ import annotations

import logging
from typing import Any

from bench.harness.context import Context
from bench.suites.cuts import measure, report

STAGE = "app"
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    log.info(
        "app CPU per request, each cut of 7fcaba5 and the metrics line off and on "
        "(bench/suites/cuts/)"
    )
    return {"cuts": measure.measure(context.stack.settings, quick=context.runs < 2)}


def sections(results: dict[str, Any]) -> list[str]:
    return report.markdown(results["cuts"])
