"""The Games table: every read and write of a game, with the rules that must hold under races.

How a game is stored, its item and its indexes, is in items.py. This class is the front of
the Games store; its parts share one GameTable (gametable.py: the client, the clock, the reads
and guarded writes, the announcements), never each other's methods. Invitations also take a
lock per pair of players and count against the host's cap (invitations.py); they are
answered in answers.py. Games against the computer have their own writes (`Games.computer`,
computer.py). Every write announces its change once it succeeded (`announce`: the push bus,
when push is on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tictactoe.rules import computer
from tictactoe.rules.board import Game, O, Placed, Status
from tictactoe.rules.clock import now
from tictactoe.rules.notices import Notice
from tictactoe.store.answers import Answers
from tictactoe.store.computer import ComputerGames
from tictactoe.store.errors import NotFound, Rejected, Unavailable
from tictactoe.store.gametable import WEEK, GameTable, new_game_id
from tictactoe.store.invitations import Invitations
from tictactoe.store.items import DELETED_PLAYER, forgetting, invitation_item, s
from tictactoe.store.lists import LIST_LENGTH, Listing, Lists
from tictactoe.store.live import LiveGames
from tictactoe.store.rematches import Rematches
from tictactoe.store.results import Results

__all__ = ["DELETED_PLAYER", "LIST_LENGTH", "Games", "Lists", "Rejected"]


class Games:
    """Reads and conditional writes of the Games table."""

    def __init__(
        self,
        client: Any,
        table: str,
        expiry_seconds: int = WEEK,
        users_table: str = "Users",
        turn_timeout_seconds: int = 3 * 24 * 3600,
    ) -> None:
        # The one GameTable every part below shares: no part is handed a method of this one.
        self.table = GameTable(client, table, expiry_seconds)
        self.turn_timeout_seconds = turn_timeout_seconds  # then the waiting player may claim
        self._invitations = Invitations(self.table)
        self._answers = Answers(self.table, self._invitations)
        self._listing = Listing(self.table)
        self._results = Results(self.table, users_table)  # games that end, counted
        self.computer = ComputerGames(self.table)
        self.live = LiveGames(self.table)  # games between people in progress (live.py)
        self._rematches = Rematches(self.table, self._answers, self.computer)

    # The table's clock, announcements and invitation expiry, as callers and tests set them.

    @property
    def clock(self) -> Callable[[], float]:
        """The epoch-seconds clock every write reads; tests may wind it on."""
        return self.table.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.table.clock = clock

    @property
    def announce(self) -> Callable[[Notice], None]:
        """What is told of every change after its write succeeded (the push bus, if on)."""
        return self.table.announce

    @announce.setter
    def announce(self, announce: Callable[[Notice], None]) -> None:
        self.table.announce = announce

    @property
    def expiry_seconds(self) -> int:
        """How long an invitation waits for an answer."""
        return self.table.expiry_seconds

    def create(
        self,
        host: str,
        opponent: str,
        pictures: tuple[str | None, str | None] = (None, None),
        x_is_host: bool = False,
    ) -> Game:
        """Store a new invitation from `host` to `opponent` (with their pictures' hashes).

        The opponent will play X and move first, unless `x_is_host`. Raises
        TooManyInvitations when the host has too many out, and OpenInvitation when the pair
        already has one, whoever sent it.
        """
        moment = self.clock()
        stamp = now(moment)
        expires_at = int(moment) + self.expiry_seconds
        self._invitations.check_room(host, self.table.live_after(moment))
        game_id = new_game_id()
        self._invitations.take(host, opponent, game_id, expires_at, moment)
        game = Game.invitation(game_id, host, opponent, stamp, pictures, expires_at, x_is_host)
        self.table.put_new(invitation_item(game), "creating a game")
        return self.table.told(game)

    def get(self, game_id: str, at_least: int = 0) -> Game:
        """Return the game, reading strongly only when the cheap read looks stale."""
        game = self.table.read(game_id, consistent=False)
        if game is None or game.version < at_least:
            game = self.table.read(game_id, consistent=True)
        if game is None:
            raise NotFound("no such game")
        return game

    def accept(self, game_id: str, player: str, picture: str | None = None) -> Game:
        """Start the invitation or open challenge `game_id` for `player` (see answers.py)."""
        return self._answers.accept(game_id, player, picture)

    def reject(self, game_id: str, player: str) -> None:
        """Delete the invitation if `player` is its invited opponent and it is still pending."""
        self._answers.withdraw(game_id, "OpponentId", player)

    def cancel(self, game_id: str, player: str) -> None:
        """Delete the invitation if `player` sent it and it is still unanswered."""
        self._answers.withdraw(game_id, "HostId", player)

    def expired(self, game: Game) -> bool:
        """Return True when `game` is an invitation that lapsed unanswered."""
        return self.table.expired(game)

    def move(self, game_id: str, player: str, seen: str, placed: Placed) -> Game:
        """Write one move in one conditional update, result included.

        The condition says: the game is in progress, it is `player`'s turn, and the board is
        still `seen` (so `player` plays the mark placed). So two racing moves can never both
        land, and a game that a move ended is always marked finished by that same write. The
        cell is appended to Moves, in the same write. The move that ends the game also counts
        its result, in one transaction (see results.py). A game against the computer refuses
        it (Rejected): its moves are `computer.move`.
        """
        if placed.over:
            return self.table.told(self._results.move(game_id, player, seen, placed, now()))
        # Games from before Waiting have the invited opponent as X and the host as O.
        legacy_other = "OpponentId" if placed.mark == O else "HostId"
        values = {
            ":playing": s(Status.IN_PROGRESS),
            ":me": s(player),
            ":seen": s(seen),
            ":board": s(placed.board),
            ":cell": {"L": [{"N": str(placed.cell)}]},
            ":none": {"L": []},
        }
        sets = [
            "Board = :board",
            "Version = Version + :one",
            "UpdatedAt = :now",
            "Moves = list_append(if_not_exists(Moves, :none), :cell)",
            f"Turn = if_not_exists(Waiting, {legacy_other})",
            "Waiting = :me",
        ]
        return self.table.told(
            self.table.update(
                game_id,
                condition="#st = :playing AND Turn = :me AND Board = :seen"
                " AND attribute_not_exists(Computer)",
                update="SET " + ", ".join(sets),
                values=values,
            )
        )

    def resign(self, game: Game, player: str) -> Game:
        """Finish `game` (in progress, as read) as `player`'s resignation, and count it."""
        if game.level is not None:
            return self.computer.resign(game, player)  # not counted
        return self.table.told(self._results.resign(game, player, now(self.clock())))

    def claim(self, game: Game, player: str, waited: int | None = None) -> Game:
        """Finish `game` as won by `player`, whose opponent let the turn time out (or, when
        `waited` is given, has been away for that many seconds: the caller read presence);
        count it. Either way the write holds only if nobody moved for that long."""
        timeout = self.turn_timeout_seconds if waited is None else waited
        cutoff = now(self.clock() - timeout)
        return self.table.told(self._results.claim(game, player, cutoff, now(self.clock())))

    def lists(self, player: str, length: int = LIST_LENGTH) -> Lists:
        """Return `player`'s home lists, each the `length` (LIST_LENGTH) newest first."""
        return self._listing.read(player, self.table.live_after(self.clock()), length)

    def challenge(self, host: str, picture: str | None = None) -> Game:
        """Store an open challenge from `host` that anyone else may take (see accept).

        It expires like an invitation and counts against the host's cap, but names no pair,
        so it takes no pair lock. Raises TooManyInvitations when the host has too many out.
        """
        moment = self.clock()
        self._invitations.check_room(host, self.table.live_after(moment))
        return self.table.told(self._rematches.challenge(host, picture, moment))

    def rematch(
        self,
        game_id: str,
        player: str,
        picture: str | None,
        opening: computer.Opening | None = None,
    ) -> tuple[Game, bool]:
        """Return the one rematch of a finished game, asking or accepting it (see rematches.py).

        True when this call created it. Raises Rejected (with the game) when `player` may not
        ask for a rematch of it. `opening` gives the computer's first cell at a level, for a
        rematch against the computer in which it plays X.
        """
        return self._rematches.ask(game_id, player, picture, opening)

    # -- taking a deleted player out of their games (see accounts.delete_account) ----------

    def games_of(self, player: str) -> list[str]:
        """Return the id of every game `player` hosts or was invited to, all pages of both."""
        return self._listing.game_ids(player)

    def forget_player(self, game_id: str, player: str) -> None:
        """Take `player` out of one game, for good.

        An invitation is deleted. A game in progress ends as `player`'s resignation: the other
        player wins. A finished game keeps its board and result, with DELETED_PLAYER in
        `player`'s place (and as the winner, if they won), and without their picture: the
        name may be taken again, and the new owner must not appear to have played it. Each
        write is conditional on the version read, so a move landing meanwhile is not lost.
        """
        for _ in range(3):
            game = self.table.read(game_id, consistent=True)
            if game is None or player not in game.players:
                return
            try:
                self._forget(game, player)
                return
            except Rejected:
                continue  # the game moved meanwhile: read it again
        raise Unavailable("the game is changing too fast; try again")

    def _forget(self, game: Game, player: str) -> None:
        version = {":v": {"N": str(game.version)}}
        if game.status is Status.PENDING:
            self._answers.remove(game.id, "Version = :v", version, "deleting an invitation")
            return
        self._results.forget_pair(game)  # first: once forgotten, the game no longer names them
        update, values = forgetting(game, player, now())
        values |= version
        self.table.told(
            self.table.update(
                game.id, condition="Version = :v AND #st = :was", update=update, values=values
            )
        )
