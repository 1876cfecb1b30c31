"""The Procfile's processes: its gunicorn command lines, as an app folder's Procfile has them."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def arguments(name: str, root: Path = ROOT) -> list[str]:
    """Return the gunicorn arguments of the Procfile's `name:` line in the folder `root`."""
    lines = (root / "Procfile").read_text().splitlines()
    found = [line.split(":", 1)[1] for line in lines if line.startswith(f"{name}:")]
    if len(found) != 1:
        raise RuntimeError(f"{root / 'Procfile'} has no single {name}: process")
    args = shlex.split(found[0])
    if args[0] != "gunicorn" or "--bind" not in args:
        raise RuntimeError(f"the Procfile's {name}: is not gunicorn with a --bind")
    return args[1:]


def command(name: str, bind: str, root: Path = ROOT) -> list[str]:
    """Return the Procfile's `name:` command, bound to `bind`, run by this Python's gunicorn."""
    args = arguments(name, root)
    args[args.index("--bind") + 1] = bind
    return [sys.executable, "-m", "gunicorn", *args]


def option(name: str, flag: str, root: Path = ROOT) -> str:
    """Return the value of `flag` on the Procfile's `name:` line (KeyError when absent)."""
    args = arguments(name, root)
    if flag not in args:
        raise KeyError(f"the Procfile's {name}: has no {flag}")
    return args[args.index(flag) + 1]
