"""Push: what live updates buy and cost against polling (see bench/suites/push/measure.py)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from bench.harness.context import Context
from bench.harness.rows import Row
from bench.suites.push import measure, report, why
from bench.suites.push.method import METHOD
from bench.suites.push.rows import rows as push_rows
from bench.suites.push.settings import Sizes

STAGE = "services"
log = logging.getLogger("bench")
SIZES = ("moves", "wait_seconds", "cpu_games", "streams", "load_seconds")


def options(parser: argparse.ArgumentParser) -> None:
    """The push figures' sizes, and a way to leave them out."""
    sizes = Sizes()
    helps = (
        "moves per push latency run",
        "the push waiting window",
        "games per mode in the push CPU comparison",
        "streams held open",
        "each move-p99 run beside the open streams",
    )
    for name, text in zip(SIZES, helps, strict=True):
        default = getattr(sizes, name)
        flag = "--push-" + name.replace("_", "-")
        parser.add_argument(flag, type=type(default), default=default, help=text)
    parser.add_argument("--no-push", action="store_true", help="leave the push figures out")


def run(context: Context) -> dict[str, Any]:
    args = context.args
    if args.no_push:
        return {}
    sizes = Sizes.quick() if args.quick else Sizes(**{n: getattr(args, f"push_{n}") for n in SIZES})
    log.info("push: live updates against polling (bench/suites/push/)")
    settings = context.stack.settings
    return {"push": measure.run(sizes, settings.endpoint, settings.s3_endpoint)}


def rows(results: dict[str, Any]) -> list[Row]:
    """The push figures, each against its target from the push issue."""
    return push_rows(results["push"])


def method(results: dict[str, Any]) -> list[str]:
    return METHOD


def sections(results: dict[str, Any]) -> list[str]:
    return report.markdown(results["push"])


WHY: dict[str, Callable[[dict[str, Any]], str]] = {
    "the other screen": why.why_latency,
    "RCU per waiting game-minute": why.why_waiting,
    "open streams ÷ without": why.why_streams,
}
