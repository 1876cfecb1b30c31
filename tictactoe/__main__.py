"""Command line: `python -m tictactoe create-tables`, `export FILE`, `import FILE` (reads
CONFIG_FILE)."""

from __future__ import annotations

import argparse
import sys

from . import archive_commands, config
from .archive_file import ArchiveError
from .backend import build
from .store import StoreError, ensure_tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tictactoe")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("create-tables", help="create the app's tables if missing, then wait for them")
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


if __name__ == "__main__":
    sys.exit(main())
