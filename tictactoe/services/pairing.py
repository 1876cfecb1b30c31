"""Play now: pair a player with the one who waits, or have them wait. No Flask here.

How pairing stays right across instances and tabs is the store's (tictactoe/store/pairing.py).
"""

from __future__ import annotations

from tictactoe.adapters import metrics
from tictactoe.store import Looking, Paired, Pairing


def play(pairing: Pairing, player: str, picture: str | None = None) -> Looking | Paired:
    """Pair `player` with the player waiting (who then plays X), or make them wait.

    Raises store.TooManyInvitations when `player` has store.MAX_SENT open invitations.
    """
    outcome = pairing.play(player, picture)
    if isinstance(outcome, Paired):
        metrics.count(metrics.GAMES_STARTED)
    return outcome


def state(pairing: Pairing, player: str) -> Looking | Paired | None:
    """Return `player`'s wait, the game in progress it became, or None: not waiting."""
    return pairing.state(player)


def stop(pairing: Pairing, player: str) -> None:
    """Stop `player`'s wait, if any; a wait already paired keeps its game."""
    pairing.stop(player)
