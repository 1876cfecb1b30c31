"""`create-tables`, `migrate` and `check-config`: the commands about the tables and the file."""

from __future__ import annotations

import argparse
from typing import Any

from tictactoe.config import Settings
from tictactoe.services.backend import build
from tictactoe.store import ensure_tables
from tictactoe.store.drift import plan
from tictactoe.store.migration import migrate
from tictactoe.store.schema import target

COMMANDS = ("create-tables", "migrate", "check-config")
# Under Elastic Beanstalk's 600 s limit for a deploy's commands (.ebextensions/02-migrate.config).
MIGRATE_TIMEOUT = 540.0


def add_commands(sub: Any) -> None:
    """Add `create-tables`, `migrate [--dry-run] [--timeout SECONDS]` and `check-config`."""
    sub.add_parser("create-tables", help="create the app's tables if missing, then wait for them")
    migrate_parser = sub.add_parser(
        "migrate", help="bring the tables up to the schema and wait for new indexes"
    )
    migrate_parser.add_argument(
        "--dry-run", action="store_true", help="print the plan, one line a step; change nothing"
    )
    migrate_parser.add_argument(
        "--timeout",
        type=float,
        default=MIGRATE_TIMEOUT,
        metavar="SECONDS",
        help=f"give up waiting for index builds after this (default {MIGRATE_TIMEOUT:.0f})",
    )
    sub.add_parser("check-config", help="validate the file named by CONFIG_FILE")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of COMMANDS with the validated settings; return the exit status."""
    if args.command == "create-tables":
        created = ensure_tables(build(settings).dynamodb, settings)
        print("created: " + (", ".join(created) or "nothing, all tables exist"))
    elif args.command == "migrate":
        run_migrate(settings, args.dry_run, args.timeout)
    else:
        print(f"{settings.region}: configuration is valid")
    return 0


def run_migrate(settings: Settings, dry_run: bool, timeout: float) -> None:
    """Print the plan (--dry-run), or make each change, printing it, and wait for the builds."""
    client = build(settings).dynamodb
    if dry_run:
        found = plan(client, target(settings))
        for line in [str(step) for step in found.steps] + [f"wait: {b}" for b in found.building]:
            print(line)
        for note in found.notes:
            print(f"note: {note}")
        if not found.steps and not found.building:
            print("nothing to do: the tables match the schema")
        return
    done = migrate(client, target(settings), timeout, say=print)
    print(f"the tables match the schema ({len(done)} changes made by this run)")
