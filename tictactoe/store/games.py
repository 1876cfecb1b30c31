"""The Games table: every read and write of a game, with the rules that must hold under races.

How a game is stored, its item and its indexes, is in items.py. Invitations also take a lock
per pair of players and count against the host's cap (invitations.py). Games against the
computer have their own writes (`Games.computer`, computer.py). Every write announces its
change once it succeeded (`announce`: the push bus, when push is on).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.adapters import metrics
from tictactoe.rules import computer, notices
from tictactoe.rules.board import Game, O, Placed, Status
from tictactoe.rules.clock import now
from tictactoe.rules.notices import Notice
from tictactoe.store.computer import ComputerGames
from tictactoe.store.errors import (
    NotFound,
    Rejected,
    Unavailable,
    error_code,
    refused_item,
    translated,
)
from tictactoe.store.invitations import Invitations
from tictactoe.store.items import (
    DELETED_PLAYER,
    OPEN,
    forgetting,
    game_from_item,
    invitation_item,
    s,
)
from tictactoe.store.lists import LIST_LENGTH, Listing, Lists
from tictactoe.store.rematches import Rematches
from tictactoe.store.results import Results

__all__ = ["DELETED_PLAYER", "LIST_LENGTH", "Games", "Lists", "Rejected"]

WEEK = 7 * 24 * 3600


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
        self._client = client
        self._table = table
        self.expiry_seconds = expiry_seconds
        self.turn_timeout_seconds = turn_timeout_seconds  # then the waiting player may claim
        self.clock: Callable[[], float] = time.time  # epoch seconds; tests may wind it on
        # Told of every change after its write succeeded (the push bus, when push is on).
        self.announce: Callable[[Notice], None] = lambda notice: None
        self._invitations = Invitations(client, table, lambda i: self._read(i, consistent=False))
        self._listing = Listing(client, table)
        self._results = Results(client, table, users_table, self._read)  # games that end
        self.computer = ComputerGames(client, table, lambda: self.clock(), self._update, self._told)
        self._rematches = Rematches(
            client,
            table,
            DELETED_PLAYER,
            lambda: self.clock(),
            lambda: self.expiry_seconds,
            self._read,
            self.expired,
            self.accept,
            self._told,
            self.computer.check_room,
        )

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
        self._invitations.check_room(host, self._live_after(moment))
        game_id = secrets.token_urlsafe(12)
        self._invitations.take(host, opponent, game_id, expires_at, moment)
        game = Game.invitation(game_id, host, opponent, stamp, pictures, expires_at, x_is_host)
        item = invitation_item(game)
        with translated("creating a game"):
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(GameId)",
            )
        return self._told(game)

    def get(self, game_id: str, at_least: int = 0) -> Game:
        """Return the game, reading strongly only when the cheap read looks stale."""
        game = self._read(game_id, consistent=False)
        if game is None or game.version < at_least:
            game = self._read(game_id, consistent=True)
        if game is None:
            raise NotFound("no such game")
        return game

    def accept(self, game_id: str, player: str, picture: str | None = None) -> Game:
        """Start the game if `player` is its invited opponent and it is pending, not expired.

        The game moves from INVITED_ to OPEN_ in both indexes, and loses its ExpiresAt. X moves
        first: the opponent, unless the invitation named another first turn (FirstTurn, and
        FirstWait for the other player). Turn names who is to move and Waiting the other, so a
        move swaps them without knowing who plays which mark.

        The same single write takes an open challenge (a pending game with no OpponentId):
        `player`, if not its host, becomes its opponent (with `picture`) and plays X. The
        condition that no one took it yet makes exactly one of many racing takers win.
        """
        stamp = now(self.clock())
        picked = ", OpponentPicture = if_not_exists(OpponentPicture, :pic)" if picture else ""
        started = self._update(
            game_id,
            condition="#st = :pending AND (OpponentId = :me"
            " OR (attribute_not_exists(OpponentId) AND HostId <> :me))"
            " AND (attribute_not_exists(ExpiresAt) OR ExpiresAt > :clock)",
            update="SET #st = :playing, OpponentId = :me, Turn = if_not_exists(FirstTurn, :me),"
            " Waiting = if_not_exists(FirstWait, HostId), StatusDate = :open,"
            f" Version = Version + :one, UpdatedAt = :now{picked} REMOVE ExpiresAt",
            values={
                ":pending": s(Status.PENDING),
                ":playing": s(Status.IN_PROGRESS),
                ":me": s(player),
                ":open": s(OPEN + stamp),
                ":clock": {"N": str(int(self.clock()))},
            }
            | ({":pic": s(picture)} if picture else {}),
            stamp=stamp,
        )
        metrics.count(metrics.GAMES_STARTED)  # an invitation, a challenge or a rematch
        return self._told(started)

    def reject(self, game_id: str, player: str) -> None:
        """Delete the invitation if `player` is its invited opponent and it is still pending."""
        self._withdraw(game_id, "OpponentId", player)

    def cancel(self, game_id: str, player: str) -> None:
        """Delete the invitation if `player` sent it and it is still unanswered."""
        self._withdraw(game_id, "HostId", player)

    def expired(self, game: Game) -> bool:
        """Return True when `game` is an invitation that lapsed unanswered."""
        return game.expires_at is not None and game.expires_at <= self.clock()

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
            return self._told(self._results.move(game_id, player, seen, placed, now()))
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
        return self._told(
            self._update(
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
        return self._told(self._results.resign(game, player, now(self.clock())))

    def claim(self, game: Game, player: str) -> Game:
        """Finish `game` as won by `player`, whose opponent let the turn time out; count it."""
        cutoff = now(self.clock() - self.turn_timeout_seconds)
        return self._told(self._results.claim(game, player, cutoff, now(self.clock())))

    def lists(self, player: str) -> Lists:
        """Return `player`'s home lists, each the LIST_LENGTH newest first."""
        return self._listing.read(player, self._live_after(self.clock()))

    def challenge(self, host: str, picture: str | None = None) -> Game:
        """Store an open challenge from `host` that anyone else may take (see accept).

        It expires like an invitation and counts against the host's cap, but names no pair,
        so it takes no pair lock. Raises TooManyInvitations when the host has too many out.
        """
        moment = self.clock()
        self._invitations.check_room(host, self._live_after(moment))
        return self._told(self._rematches.challenge(host, picture, moment))

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

    # -- internals -------------------------------------------------------------------------

    def _told(self, game: Game) -> Game:
        """Announce that `game` changed (its write succeeded); return it."""
        self.announce(notices.changed(game))
        return game

    def _read(self, game_id: str, consistent: bool) -> Game | None:
        with translated("reading a game"):
            found = self._client.get_item(
                TableName=self._table, Key={"GameId": s(game_id)}, ConsistentRead=consistent
            )
        item = found.get("Item")
        # An item without HostId is no game: a cancelled Play-now wait's tombstone (pairing.py).
        return game_from_item(item) if item and "HostId" in item else None

    def _update(
        self, game_id: str, condition: str, update: str, values: dict[str, Any], stamp: str = ""
    ) -> Game:
        values = values | {":one": {"N": "1"}, ":now": s(stamp or now())}
        with translated("updating a game"):
            try:
                done = self._client.update_item(
                    TableName=self._table,
                    Key={"GameId": s(game_id)},
                    ConditionExpression=f"attribute_exists(GameId) AND {condition}",
                    UpdateExpression=update,
                    ExpressionAttributeNames={"#st": "Status"},
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise self._rejected(err) from err
        return game_from_item(done["Attributes"])

    @staticmethod
    def _rejected(err: ClientError) -> Exception:
        if error_code(err) != "ConditionalCheckFailedException":
            return err
        item = refused_item(err)
        return Rejected(game_from_item(item) if item and "HostId" in item else None)

    def _live_after(self, moment: float) -> str:
        """Return the creation time before which an invitation has expired."""
        return now(moment - self.expiry_seconds)

    def _withdraw(self, game_id: str, role: str, player: str) -> None:
        """Delete a pending invitation on behalf of its opponent or host; free the pair."""
        self._delete(
            game_id,
            f"#st = :pending AND {role} = :me",
            {":pending": s(Status.PENDING), ":me": s(player)},
            "withdrawing an invitation",
        )

    def _delete(self, game_id: str, condition: str, values: dict[str, Any], what: str) -> None:
        """Delete a game on `condition`, free its pair's lock and announce that it is gone."""
        with translated(what):
            try:
                gone = self._client.delete_item(
                    TableName=self._table,
                    Key={"GameId": s(game_id)},
                    ConditionExpression=condition,
                    **(
                        {"ExpressionAttributeNames": {"#st": "Status"}}
                        if "#st" in condition
                        else {}
                    ),
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_OLD",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise self._rejected(err) from err
        game = game_from_item(gone["Attributes"])
        self._invitations.release(game.host, game.opponent, game.id)
        self.announce(notices.gone(game))

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
            game = self._read(game_id, consistent=True)
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
            self._delete(game.id, "Version = :v", version, "deleting an invitation")
            return
        update, values = forgetting(game, player, now())
        values |= version
        self._told(
            self._update(
                game.id, condition="Version = :v AND #st = :was", update=update, values=values
            )
        )
