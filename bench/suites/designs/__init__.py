"""Table designs that would write less per game, played and billed as AWS bills them."""

from __future__ import annotations

import logging
from typing import Any

from bench.harness.context import Context
from bench.suites.designs import measure, report

STAGE = "app"
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    log.info("table designs that write less per game (bench/suites/designs/)")
    return {"designs": measure.measure(context.stack.settings.endpoint or "")}


def sections(results: dict[str, Any]) -> list[str]:
    return report.markdown(results)
