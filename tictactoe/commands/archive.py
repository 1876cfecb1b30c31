"""The command line of export and import: options, exit statuses and the reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tictactoe.adapters.archive_file import ROLES, Progress
from tictactoe.config import Settings
from tictactoe.services.archive import export, import_archive
from tictactoe.services.backend import Backend
from tictactoe.services.pacing import TokenBucket

COMMANDS = ("export", "import")
DEFAULT_UNITS_PER_SECOND = 100.0


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
        return value

    return parse


def add_commands(sub: Any) -> None:
    """Add `export` and `import` to the command line's subcommands."""
    out = sub.add_parser("export", help="write every table item (and picture) to an archive")
    out.add_argument("file", type=Path, help="the archive: JSON Lines, gzip if it ends in .gz")
    out.add_argument("--pictures", action="store_true", help="also every picture object")
    out.add_argument(
        "--max-rcu-per-second",
        type=_positive(float),
        default=DEFAULT_UNITS_PER_SECOND,
        help=f"read units a second, at most (default {DEFAULT_UNITS_PER_SECOND:g})",
    )
    out.add_argument(
        "--segments",
        type=_positive(int),
        default=4,
        help="parallel scan segments per table (default 4)",
    )
    out.add_argument(
        "--consistent-read",
        action="store_true",
        help="strongly consistent scans (twice the read units)",
    )
    into = sub.add_parser("import", help="write an archive into the tables and bucket")
    into.add_argument("file", type=Path, help="an archive written by export")
    into.add_argument(
        "--max-wcu-per-second",
        type=_positive(float),
        default=DEFAULT_UNITS_PER_SECOND,
        help=f"write units a second, at most (default {DEFAULT_UNITS_PER_SECOND:g})",
    )
    into.add_argument(
        "--workers", type=_positive(int), default=4, help="writes in flight at once (default 4)"
    )


def run(args: argparse.Namespace, backend: Backend) -> int:
    """Run `export` or `import` as parsed; print a report; return the exit status."""
    if args.command == "export":
        try:
            done = export(
                backend,
                args.file,
                TokenBucket(args.max_rcu_per_second),
                args.pictures,
                args.segments,
                args.consistent_read,
            )
        except KeyboardInterrupt:
            print(f"export stopped: {args.file} was not written", file=sys.stderr)
            return 130
        counts = ", ".join(f"{n} {role}" for role, n in done["items"].items())
        print(
            f"exported to {args.file}: {counts} items, {done['objects']} pictures "
            f"({done['read_units']:g} read units)"
        )
        return 0
    progress, resumed = import_archive(
        backend, args.file, TokenBucket(args.max_wcu_per_second), args.workers
    )
    print(report(args.file, backend.settings, progress, resumed))
    return 0


def report(path: Path, settings: Settings, progress: Progress, resumed: bool) -> str:
    """Describe what an import did, per table and for the pictures."""
    where = settings.endpoint or settings.region
    lines = [f"imported {path} into {where}" + (" (resumed)" if resumed else "") + ":"]
    for kind in (*ROLES, "pictures"):
        found = progress.outcomes.get(kind, {})
        said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(found.items()))
        lines.append(f"  {kind}: {said or 'none'}")
    lines += [f"  skipped {kept}" for kept in progress.kept]
    return "\n".join(lines)
