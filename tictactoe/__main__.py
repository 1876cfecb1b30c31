"""Command line: `python -m tictactoe create-tables|migrate|check-config|export|import`
(reads CONFIG_FILE). The commands themselves are in tictactoe/commands/."""

from __future__ import annotations

import argparse
import sys

from tictactoe import config
from tictactoe.adapters import ssm
from tictactoe.adapters.archive_file import ArchiveError
from tictactoe.commands import archive, tables
from tictactoe.commands.tables import MIGRATE_TIMEOUT
from tictactoe.services.backend import build
from tictactoe.store import StoreError

__all__ = ["MIGRATE_TIMEOUT", "main"]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the command, and return its exit status (0, 1 or 2)."""
    parser = argparse.ArgumentParser(prog="python -m tictactoe")
    sub = parser.add_subparsers(dest="command", required=True)
    tables.add_commands(sub)
    archive.add_commands(sub)
    args = parser.parse_args(argv)
    try:
        if args.command in archive.COMMANDS:  # they sign no cookies: no session key needed
            return archive.run(args, build(config.load_without_secret()))
        return tables.run(args, config.load(read_keys=ssm.read_keys))
    except config.ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    except ArchiveError as err:
        print(f"archive error: {err}", file=sys.stderr)
        return 2
    except (StoreError, TimeoutError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
