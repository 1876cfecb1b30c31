"""Playing the computer: start a game against it, and its moves. No Flask here.

Its moves are chosen by tictactoe/rules/computer.py, with this module's random source unless
a caller passes its own (tests do, to make the choices the same every time).
"""

from __future__ import annotations

import random

from tictactoe.adapters import metrics
from tictactoe.rules import computer
from tictactoe.rules.board import COMPUTER, NEW_BOARD, Game, Placed, Seen, is_board
from tictactoe.services.errors import Forbidden, Invalid
from tictactoe.store import Games

FIRST = ("me", "computer")  # who plays X and moves first
_RANDOM = random.SystemRandom()


def start(
    games: Games,
    player: str,
    level: object,
    first: object = "me",
    picture: str | None = None,
    rng: random.Random | None = None,
) -> Game:
    """Start a game of `player` against the computer at `level`; `first` says who plays X.

    When the computer plays first, its move is on the board already. Raises Invalid for an
    unknown level or first, and store.TooManyGames when the player has store.MAX_SENT games
    in progress against the computer.
    """
    if not isinstance(level, str) or level not in computer.LEVELS:
        raise Invalid("level must be one of " + ", ".join(f'"{k}"' for k in computer.LEVELS))
    if not isinstance(first, str) or first not in FIRST:
        raise Invalid('first must be "me" or "computer"')
    if player == COMPUTER:  # an account from before the name was kept
        raise Forbidden("the computer cannot play itself")
    opening = opener(rng)(level) if first == "computer" else None
    started = games.computer.start(player, level, opening, picture)
    metrics.count(metrics.GAMES_STARTED)
    return started


def opener(rng: random.Random | None = None) -> computer.Opening:
    """Return what gives the computer's first cell at a level (for a start or a rematch)."""
    return lambda level: computer.reply(NEW_BOARD, level, rng or _RANDOM)


def move(
    games: Games,
    game_id: str,
    player: str,
    seen: str,
    level: str,
    cell: int,
    rng: random.Random | None = None,
) -> Game:
    """Write `player`'s move on `cell` of board `seen` and the computer's reply, in one write.

    Raises store.Rejected (with the game as it is) when the game is not as seen: not at that
    board, not a game against the computer at `level`, or not the player's turn.
    """
    placed, reply = computer.answer(seen, cell, level, rng or _RANDOM)
    return games.computer.move(game_id, player, seen, level, placed, reply)


def well_formed(seen: Seen) -> bool:
    """Return True when `seen` names a board legal play could give, and a level if any."""
    return is_board(seen.board) and (seen.level is None or seen.level in computer.LEVELS)


def landed(current: Game, placed: Placed) -> bool:
    """Return True when `current` shows the move `placed` (and the computer's reply to it)."""
    return current.level is not None and computer.landed(current.board, placed)
