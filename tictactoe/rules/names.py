"""What a player may be called, and which names look alike: pure functions, no I/O."""

from __future__ import annotations

import re

from tictactoe.rules.board import COMPUTER

NAME = re.compile(r"[A-Za-z0-9_-]{3,20}")
# Characters people confuse when they read a name: each maps to one stand-in.
_LOOK_ALIKES = str.maketrans({"0": "o", "1": "l", "i": "l", "_": "-"})


def skeleton(name: str) -> str:
    """Return what `name` looks like: case-folded, 0/o, 1/l/i and _/- made the same."""
    return name.casefold().translate(_LOOK_ALIKES)


# Names kept for the game: the computer opponent's seat. An account that had such a name
# before keeps it; no new one can look like it.
_KEPT = frozenset({skeleton(COMPUTER)})


def is_kept(name: str) -> bool:
    """Return True when `name` is, or looks like, a name kept for the game (the computer)."""
    return skeleton(name) in _KEPT
