"""Run the suites stage by stage on one local stack, and gather their figures."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.harness.context import Context
from bench.harness.stack import local_stack

log = logging.getLogger("bench")
STAGES = ("app", "server", "services")  # on the stack; "alone" runs after it is down


def machine() -> dict[str, Any]:
    """Describe where the figures come from."""
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": os.getloadavg()[0],
    }


def run(suites: list[ModuleType], args: argparse.Namespace) -> dict[str, Any]:
    """Every suite's figures, the machine's description, and which suites reported."""
    started = time.monotonic()
    results: dict[str, Any] = {"machine": machine(), "runs": args.runs}
    ran = [s for s in suites if not hasattr(s, "run")]  # report-only suites
    staged = [s for s in suites if getattr(s, "STAGE", "alone") in STAGES]
    if staged:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp, local_stack(Path(tmp)) as stack:
            context = Context(args, Path(tmp), stack)
            for stage in STAGES:
                ran += _stage(stage, staged, context, results)
    results["machine"]["load_after"] = os.getloadavg()[0]
    ran += _stage("alone", suites, None, results)
    results["suites"] = [s.__name__.rsplit(".", 1)[1] for s in suites if s in ran]
    results["machine"]["bench_seconds"] = time.monotonic() - started
    return results


def _stage(
    stage: str, suites: list[ModuleType], context: Context | None, results: dict[str, Any]
) -> list[ModuleType]:
    """Run the stage's suites in the registry's order; return those that gave figures."""
    ran = []
    for suite in suites:
        if getattr(suite, "STAGE", None) == stage:
            figures = suite.run(context)
            results.update(figures)
            ran += [suite] if figures else []
    if stage == "server" and context is not None and ran:
        calls = context.stack.dynamodb_calls()  # stops gunicorn, whose workers write their counts
        results["calls_under_load"] = {
            "by_operation": calls["calls"],
            "seconds": calls["seconds"],
            "moves_sent": context.moves_sent,
        }
    return ran
