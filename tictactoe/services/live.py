"""Live games: what any signed-in player may watch. No Flask here."""

from __future__ import annotations

from tictactoe.rules.board import Game
from tictactoe.store import Games


def live_games(games: Games) -> list[Game]:
    """Return the games between people in progress, the most recently moved first (50 at most).

    They are the 50 most recently started such games, ordered by their last move (store/live.py).
    """
    return games.live.read()
