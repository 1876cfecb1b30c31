"""Command line: `python -m tictactoe create-tables|migrate|check-config|export|import`
(reads CONFIG_FILE)."""

from __future__ import annotations

import argparse
import sys

from tictactoe import config
from tictactoe.adapters.archive_file import ArchiveError
from tictactoe.commands import archive as archive_commands
from tictactoe.config import Settings
from tictactoe.services.backend import build
from tictactoe.store import StoreError, ensure_tables
from tictactoe.store.migration import migrate, plan
from tictactoe.store.schema import target

# Under Elastic Beanstalk's 600 s limit for a deploy's commands (.ebextensions/02-migrate.config).
MIGRATE_TIMEOUT = 540.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tictactoe")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("create-tables", help="create the app's tables if missing, then wait for them")
    add_migrate(sub)
    sub.add_parser("check-config", help="validate the file named by CONFIG_FILE")
    archive_commands.add_commands(sub)
    args = parser.parse_args(argv)
    try:
        if args.command in archive_commands.COMMANDS:  # they sign no cookies: no session key needed
            return archive_commands.run(args, build(config.load_without_secret()))
        settings = config.load()
        if args.command == "create-tables":
            created = ensure_tables(build(settings).dynamodb, settings)
            print("created: " + (", ".join(created) or "nothing, all tables exist"))
        elif args.command == "migrate":
            run_migrate(settings, args.dry_run, args.timeout)
        else:
            print(f"{settings.region}: configuration is valid")
    except config.ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    except ArchiveError as err:
        print(f"archive error: {err}", file=sys.stderr)
        return 2
    except (StoreError, TimeoutError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def add_migrate(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `migrate [--dry-run] [--timeout SECONDS]`."""
    migrate_parser = sub.add_parser(
        "migrate", help="bring the tables up to the schema and wait for new indexes"
    )
    migrate_parser.add_argument(
        "--dry-run", action="store_true", help="print the plan, one line a step; change nothing"
    )
    migrate_parser.add_argument(
        "--timeout", type=float, default=MIGRATE_TIMEOUT, metavar="SECONDS",
        help=f"give up waiting for index builds after this (default {MIGRATE_TIMEOUT:.0f})",
    )  # fmt: skip


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


if __name__ == "__main__":
    sys.exit(main())
