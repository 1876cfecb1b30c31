"""Games against the computer: each start, move and finish is one conditional write.

How such a game is stored is in items.py. A player's move and the computer's reply are written
together, in one UpdateItem conditional on: the game in progress, the player's turn, the board
they saw, and Computer = the level they saw. An ordinary move's condition has
attribute_not_exists(Computer) instead, so a client that names the wrong kind of game (a forged
or missing level in its game state) fails the condition, and the item that comes back
(Rejected) tells the service the real kind. So a move costs what a move between people costs:
one write, no read.

The move that ends the game (the player's, or the reply) and a resignation finish it in that
same single write, which endings.finishing builds: the game is not rated, so no Users item is
read or written and no transaction is needed. Claims do not apply: the computer's turn never
times out.

At most MAX_OPEN games in progress against the computer per player, counted on the host index:
the player's entries under OPEN_ that have no OpponentId. Like the cap on invitations it is
not exact under concurrency: requests of one player at the same instant each count the others
as not there yet.
"""

from __future__ import annotations

from typing import Any

from tictactoe.rules import computer
from tictactoe.rules.board import COMPUTER, Game, Placed, Status
from tictactoe.rules.clock import now
from tictactoe.store.endings import Ending, finishing
from tictactoe.store.errors import translated
from tictactoe.store.gametable import GameTable, new_game_id
from tictactoe.store.invitations import MAX_SENT
from tictactoe.store.items import OPEN, computer_item, s
from tictactoe.store.schema import HOST_INDEX

MAX_OPEN = MAX_SENT  # games in progress against the computer, per player
_PAGE = 2 * MAX_OPEN  # index entries a count reads at a time (small: one read unit)


class TooManyGames(Exception):
    """The player already has MAX_OPEN games in progress against the computer (429)."""


class ComputerGames:
    """The games against the computer in one Games table."""

    def __init__(self, table: GameTable) -> None:
        self._games = table

    def start(self, player: str, level: str, opening: int | None, picture: str | None) -> Game:
        """Store a new game of `player` against the computer, with its `opening` if it plays X.

        Raises TooManyGames when the player has MAX_OPEN such games in progress.
        """
        self.check_room(player)
        moment = now(self._games.clock())
        game = computer.new_game(new_game_id(), player, level, moment, opening, picture)
        self._games.put_new(computer_item(game), "starting a game against the computer")
        return self._games.told(game)

    def check_room(self, player: str) -> None:
        """Raise TooManyGames when `player` has MAX_OPEN games in progress against the computer."""
        query: dict[str, Any] = {
            "TableName": self._games.name,
            "IndexName": HOST_INDEX,
            "KeyConditionExpression": "HostId = :p AND begins_with(StatusDate, :open)",
            "FilterExpression": "attribute_not_exists(OpponentId)",  # against the computer
            "ExpressionAttributeValues": {":p": s(player), ":open": s(OPEN)},
            "Select": "COUNT",
            "Limit": _PAGE,  # enough to decide, for nearly everyone, in one small read
        }
        count = 0
        while True:
            with translated("counting games against the computer"):
                page = self._games.client.query(**query)
            count += page["Count"]
            if count >= MAX_OPEN:
                raise TooManyGames(
                    f"you have {MAX_OPEN} games in progress against the computer; "
                    "finish or resign one first"
                )
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def move(
        self,
        game_id: str,
        player: str,
        seen: str,
        level: str,
        placed: Placed,
        reply: Placed | None,
    ) -> Game:
        """Write `player`'s move and the computer's `reply` (None: the move ended the game).

        One conditional update (see above). When either ends the game, the same write
        finishes it: the player wins, the computer wins, or a tie.
        """
        last = reply or placed
        cells = (placed.cell,) + ((reply.cell,) if reply else ())
        condition = "#st = :playing AND Turn = :me AND Board = :seen AND Computer = :level"
        values: dict[str, Any] = {
            ":playing": s(Status.IN_PROGRESS),
            ":me": s(player),
            ":seen": s(seen),
            ":level": s(level),
        }
        stamp = now(self._games.clock())
        if last.over:
            winner = (player if placed.won else COMPUTER) if last.won else None
            update, finished = finishing(Ending(last.board, winner, cells=cells), stamp)
            values |= finished
        else:
            values |= {
                ":board": s(last.board),
                ":none": {"L": []},
                ":cells": {"L": [{"N": str(c)} for c in cells]},
            }
            update = (
                "SET Board = :board, Version = Version + :one, UpdatedAt = :now,"
                " Moves = list_append(if_not_exists(Moves, :none), :cells)"
            )
        return self._games.told(self._games.update(game_id, condition, update, values, stamp))

    def resign(self, game: Game, player: str) -> Game:
        """Finish `game` (in progress, at the version read) as `player`'s resignation."""
        stamp = now(self._games.clock())
        update, values = finishing(Ending(game.board, game.other_player(player)), stamp)
        values |= {":playing": s(Status.IN_PROGRESS), ":v": {"N": str(game.version)}}
        condition = "#st = :playing AND Version = :v AND attribute_exists(Computer)"
        return self._games.told(self._games.update(game.id, condition, update, values, stamp))
