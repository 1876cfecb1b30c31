"""Answering an invitation: accepting it (or taking an open challenge), refusing or withdrawing it.

An accept is one conditional write; a refusal or a withdrawal deletes the invitation and
frees its pair's lock (invitations.py). Rematches accept through here too (rematches.py).
"""

from __future__ import annotations

from typing import Any

from tictactoe.adapters import metrics
from tictactoe.rules import notices
from tictactoe.rules.board import Game, Status
from tictactoe.rules.clock import now
from tictactoe.store.gametable import GameTable
from tictactoe.store.invitations import Invitations
from tictactoe.store.items import OPEN, s
from tictactoe.store.live import LIVE


class Answers:
    """The answers to invitations in one Games table."""

    def __init__(self, table: GameTable, invitations: Invitations) -> None:
        self._table = table
        self._invitations = invitations  # frees a pair's lock once its invitation is gone

    def accept(self, game_id: str, player: str, picture: str | None = None) -> Game:
        """Start the game if `player` is its invited opponent and it is pending, not expired.

        The game moves from INVITED_ to OPEN_ in both indexes, enters the live index (an
        invitation is always between people: store/live.py), and loses its ExpiresAt. X moves
        first: the opponent, unless the invitation named another first turn (FirstTurn, and
        FirstWait for the other player). Turn names who is to move and Waiting the other, so a
        move swaps them without knowing who plays which mark.

        The same single write takes an open challenge (a pending game with no OpponentId):
        `player`, if not its host, becomes its opponent (with `picture`) and plays X. The
        condition that no one took it yet makes exactly one of many racing takers win.
        """
        moment = self._table.clock()
        stamp = now(moment)
        picked = ", OpponentPicture = if_not_exists(OpponentPicture, :pic)" if picture else ""
        started = self._table.update(
            game_id,
            condition="#st = :pending AND (OpponentId = :me"
            " OR (attribute_not_exists(OpponentId) AND HostId <> :me))"
            " AND (attribute_not_exists(ExpiresAt) OR ExpiresAt > :clock)",
            update="SET #st = :playing, OpponentId = :me, Turn = if_not_exists(FirstTurn, :me),"
            " Waiting = if_not_exists(FirstWait, HostId), StatusDate = :open,"
            " Live = :live, LiveSince = :now,"
            f" Version = Version + :one, UpdatedAt = :now{picked} REMOVE ExpiresAt",
            values={
                ":pending": s(Status.PENDING),
                ":playing": s(Status.IN_PROGRESS),
                ":me": s(player),
                ":open": s(OPEN + stamp),
                ":live": s(LIVE),
                ":clock": {"N": str(int(moment))},
            }
            | ({":pic": s(picture)} if picture else {}),
            stamp=stamp,
        )
        metrics.count(metrics.GAMES_STARTED)  # an invitation, a challenge or a rematch
        return self._table.told(started)

    def withdraw(self, game_id: str, role: str, player: str) -> None:
        """Delete a pending invitation on behalf of its opponent or host (`role` names which)."""
        self.remove(
            game_id,
            f"#st = :pending AND {role} = :me",
            {":pending": s(Status.PENDING), ":me": s(player)},
            "withdrawing an invitation",
        )

    def remove(self, game_id: str, condition: str, values: dict[str, Any], what: str) -> None:
        """Delete a game on `condition`, free its pair's lock and announce that it is gone."""
        game = self._table.delete(game_id, condition, values, what)
        self._invitations.release(game.host, game.opponent, game.id)
        self._table.announce(notices.gone(game))
