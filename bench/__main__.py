"""`make bench`: start a local stack, run every suite, write docs/benchmarks.md.

Runs in a few minutes on 2 cores. The suites and their order are bench/suites/__init__.py's;
the harness (bench/harness/) starts the stack, runs them stage by stage and writes the
report. `--quick` runs everything small, once, into /tmp (development); `--only NAME ...`
runs some suites alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from bench import suites
from bench.harness import report
from bench.harness.run import run
from bench.harness.stack import ROOT


def options(registered: list[object]) -> argparse.Namespace:
    """The harness's flags, then each suite's own."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=3, help="repeats of every measurement")
    parser.add_argument("--load-runs", type=int, default=5, help="throughput runs per size")
    parser.add_argument("--seconds", type=float, default=6, help="each throughput run")
    parser.add_argument("--wait-seconds", type=float, default=20, help="each waiting run")
    for suite in registered:
        if hasattr(suite, "options"):
            suite.options(parser)
    parser.add_argument(
        "--quick", action="store_true", help="small and once, into /tmp (development)"
    )
    parser.add_argument("--only", nargs="+", choices=suites.SUITES, help="run these suites alone")
    parser.add_argument("--out", type=Path, help="docs/benchmarks.md (--quick, --only: /tmp)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.load_runs, args.seconds, args.wait_seconds = 1, 1, 3, 5
    if args.out is None:
        mine = ROOT / "docs" / "benchmarks.md"
        args.out = (
            Path(tempfile.gettempdir()) / "benchmarks-quick.md" if args.quick or args.only else mine
        )
    return args


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("tictactoe").setLevel(logging.WARNING)
    registered = suites.load()
    args = options(registered)
    chosen = suites.load(tuple(args.only)) if args.only else registered
    results = run(chosen, args)
    (Path(tempfile.gettempdir()) / "bench-results.json").write_text(
        json.dumps(results, indent=1, default=str)
    )
    text = report.render(results, chosen)
    args.out.write_text(text)
    print(text)
    print(f"\nWrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
