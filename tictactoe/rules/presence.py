"""Who has a game open: the facts the bus's Valkey holds, and what the pages and claims see.

Pure values, no I/O: tictactoe/adapters/presence.py reads and writes the facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tictactoe.rules.board import COMPUTER, Game, Status
from tictactoe.rules.clock import now


@dataclass(frozen=True)
class Here:
    """Who has game `game_id` open now, and when each person last had it open (epoch s)."""

    game_id: str
    people: frozenset[str] = frozenset()
    last: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


def shown(here: Here, players: tuple[str, ...]) -> dict[str, Any]:
    """Return the presence event's data: the game's players who are here, and the watchers."""
    return {
        "here": sorted(p for p in here.people if p in players),
        "watchers": len(here.people - set(players)),
    }


def left_at(game: Game, here: Here | None) -> str | None:
    """Return when the player to move in `game` left it (store time text), None while they are
    here, while it is nobody's turn or the computer's, or while presence is unknown (None).

    Someone who never had the game open (as far as presence remembers: a few days) never
    left it, and only the turn timeout counts for them: a client of the API alone, or a
    page that could not open its stream, must not lose in a minute. A player who left
    before it was their turn is away from the moment it became their turn
    (tictactoe/rules/board.py claimable_at).
    """
    if here is None or game.status is not Status.IN_PROGRESS or game.level is not None:
        return None
    player = game.turn
    if player is None or player == COMPUTER or player in here.people:
        return None
    last = here.last.get(player)
    return None if last is None else now(last)
