"""What the game page shows beside the game: its rematch, and whether the win can be claimed.

The page's own read is the game. A finished game whose rematch was asked for also reads
that rematch (one eventually consistent read, 0.5 RCU), to say who asked and whether it
started; no other page ever reads a second game.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tictactoe.rules import board
from tictactoe.rules.board import Game, Status
from tictactoe.services import games
from tictactoe.store import NotFound
from tictactoe.web import auth
from tictactoe.web.current import backend


def extras(found: Game) -> dict[str, Any]:
    """Return the game page's context beyond the game: rematch, claimable, timeout, and when
    the player to move left (presence, read once; None: here, or unknown)."""
    b, me = backend(), auth.player()
    timeout = b.settings.turn_timeout_seconds
    left = games.absent_since(b.presence, found)
    away = b.settings.away_claim_seconds
    return {
        "rematch": rematch_of(found) if me in (found.host, found.opponent) else None,
        "claimable": claimable(found, me, timeout, b.games.clock(), left, away),
        "timeout": timeout,
        "left_at": left,
    }


def rematch_of(found: Game) -> Game | None:
    """Return the rematch of a finished game, if one was asked for and still exists (only its
    players' pages show it, so only they pay the read)."""
    if found.status is not Status.FINISHED or not found.rematch:
        return None
    try:
        return games.game(backend().games, found.rematch)
    except NotFound:  # declined or withdrawn: the page offers a new one
        return None


def claimable(
    found: Game, me: str, timeout: int, clock: float, left: str | None = None, away: int = 0
) -> bool:
    """Return True when `me` may claim the win: the opponent to move has run out of time, or
    has been away (since `left`) for `away` seconds."""
    since = board.claimable_at(found, timeout, left, away)
    if since is None or found.turn == me or me not in (found.host, found.opponent):
        return False
    moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    return moment.timestamp() <= clock


def claim(game_id: str) -> Game:
    """Claim the win in `game_id` for the signed-in player (the API's and the page's form):
    the turn timeout, or the opponent's absence as presence says it now."""
    b = backend()
    away = b.settings.away_claim_seconds
    return games.claim(b.games, game_id, auth.player(), b.presence, away)
