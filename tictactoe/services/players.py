"""Player use cases: a player's results and rating, and the leaderboard. No Flask here."""

from __future__ import annotations

from tictactoe.rules.names import NAME
from tictactoe.store import Ladder, NotFound, Player


def player(ladder: Ladder, name: object) -> Player:
    """Return a player's results and rating (any signed-in player may look)."""
    found = ladder.player(name) if isinstance(name, str) and NAME.fullmatch(name) else None
    if found is None:
        raise NotFound(f"there is no player called {name}")
    return found


def leaderboard(ladder: Ladder) -> list[Player]:
    """Return the best players by rating, then wins (the top 20)."""
    return ladder.top()
