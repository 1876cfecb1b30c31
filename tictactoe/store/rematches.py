"""Rematches and open challenges: invitations that a finished game, or no one, names.

A rematch. Exactly one per finished game, even when both players ask at once, without a
transaction. The finished game's item gets Rematch = <new id> by one conditional write (it is
finished, the caller played it, neither player has deleted their account, it has no Rematch
yet); then the rematch invitation is put under that id, on condition that no live game holds
it. Whoever finds Rematch already set reads that game instead:

- missing (the asker died between the two writes; or it was declined or withdrawn; or it
  expired and TTL deleted it) or lapsed: put it now, from the caller. The put's condition
  makes this race-safe: of two such puts one lands, and the other reads again;
- pending, and the caller is its invited player: accept it (the caller gets it IN_PROGRESS);
- otherwise: return it.

A rematch swaps the marks: the finished game's O player plays X in it and moves first,
whoever asked (the invitation's XIsHost and FirstTurn, see Answers.accept). Writing Rematch
bumps the finished game's Version, so a page polling it with its ETag sees the request.

Rematches take no pair lock (invitations.py) and are not refused by the host's cap, though
they count towards it for later invitations, as any live invitation does. The Rematch write
already allows one per finished game, and a finished game needs both players to have played
it, so rematches cannot be used to pester strangers; the lock would add three calls (its read,
its holder's read, its write) and a way to fail after Rematch is written.

A rematch of a game against the computer is a new game against it at the same level, by the
same protocol: Rematch is named in the finished game, then the new game is put under that id,
already in progress (the marks swap, so when the computer plays X its first move is on the
board). Its player's cap of games in progress against the computer is checked first.

An open challenge is an invitation with no OpponentId, so only the host index holds it (the
host's "sent" list). It expires like an invitation and counts against the host's cap; its
host withdraws it with the usual cancel; Answers.accept lets anyone but the host take it.
"""

from __future__ import annotations

from dataclasses import replace

from botocore.exceptions import ClientError

from tictactoe.rules import computer
from tictactoe.rules.board import Game, Status
from tictactoe.rules.clock import now
from tictactoe.store.answers import Answers
from tictactoe.store.computer import ComputerGames
from tictactoe.store.errors import Rejected, Unavailable, error_code, refused_item, translated
from tictactoe.store.gametable import GameTable, new_game_id
from tictactoe.store.items import (
    DELETED_PLAYER,
    computer_item,
    game_from_item,
    invitation_item,
    s,
)

_ATTEMPTS = 3


class Rematches:
    """The rematch protocol and open challenges on one Games table."""

    def __init__(self, table: GameTable, answers: Answers, computer_games: ComputerGames) -> None:
        self._games = table
        self._answers = answers  # accepts a rematch invitation for its invited player
        self._computer = computer_games  # checks a player's room for one more game against it

    def challenge(self, host: str, picture: str | None, moment: float) -> Game:
        """Store a new open challenge from `host`, created at epoch `moment`."""
        expires_at = int(moment) + self._games.expiry_seconds
        game = Game.invitation(new_game_id(), host, None, now(moment), (picture, None), expires_at)
        game = replace(game, challenge=True)
        self._games.put_new(invitation_item(game), "creating a challenge")
        return game

    def ask(
        self,
        game_id: str,
        player: str,
        picture: str | None,
        opening: computer.Opening | None = None,
    ) -> tuple[Game, bool]:
        """Return the rematch of finished game `game_id`, and True if this call created it.

        Raises Rejected with the finished game (None: no such game) when `player` may not
        have a rematch of it. `opening` gives the computer's first cell at a level.
        """
        finished, new_id = self._games.read(game_id, consistent=False), new_game_id()
        if finished is not None and finished.rematch is None and player in finished.players:
            if finished.level is not None and finished.status is Status.FINISHED:
                self._computer.check_room(player)  # before anything is written
            # The write's condition decides, on the game as it is now.
            finished = self._mark(finished.id, player, new_id)
        if finished is None or finished.rematch is None or not self._allowed(finished, player):
            raise Rejected(finished)
        for attempt in range(_ATTEMPTS):
            # Named by this call just now: nothing to read unless the put finds it taken.
            # Otherwise a cheap read first; a stale answer costs a failed conditional write.
            fresh = attempt == 0 and finished.rematch == new_id
            found = None if fresh else self._games.read(finished.rematch, consistent=attempt > 0)
            if found is None or self._games.expired(found):
                invitation = self._next_game(finished, player, picture, opening)
                if self._put(invitation):
                    return self._games.told(invitation), True
            elif found.status is Status.PENDING and found.opponent == player:
                try:
                    return self._answers.accept(found.id, player, picture), False
                except Rejected:
                    pass  # withdrawn or answered meanwhile: read it again
            else:
                return found, False
        raise Unavailable("the rematch kept changing; try again")

    def _allowed(self, game: Game, player: str) -> bool:
        """Return True when `player` may have a rematch of `game` (as far as `game` shows)."""
        return (
            game.status is Status.FINISHED
            and player in game.players
            and DELETED_PLAYER not in (game.host, game.opponent)
        )

    def _next_game(
        self,
        finished: Game,
        player: str,
        picture: str | None,
        opening: computer.Opening | None,
    ) -> Game:
        """The rematch: an invitation, or a new game against the computer (see above)."""
        if finished.level is None:
            return self._invitation(finished, player, picture)
        assert finished.rematch is not None
        level, first = finished.level, None
        if finished.x_is_host:  # the player played X: the computer does now, and opens
            if opening is None:
                raise ValueError("a rematch against the computer needs its opening move")
            first = opening(level)
        return computer.new_game(
            finished.rematch, player, level, now(self._games.clock()), first, picture
        )

    def _invitation(self, finished: Game, player: str, picture: str | None) -> Game:
        """The rematch invitation from `player` to the other player: O of `finished` plays X."""
        other = finished.other_player(player)
        assert other is not None and finished.rematch is not None  # a finished game has both
        theirs = finished.opponent_picture if other == finished.opponent else finished.host_picture
        moment = self._games.clock()
        return Game.invitation(
            finished.rematch,
            player,
            other,
            now(moment),
            (picture, theirs),
            int(moment) + self._games.expiry_seconds,
            x_is_host=player == finished.o_player,
        )

    def _mark(self, game_id: str, player: str, new_id: str) -> Game | None:
        """Name a new rematch in the finished game; return the game as it is now, either way."""
        condition = (
            "attribute_exists(GameId) AND #st = :finished AND (HostId = :me OR OpponentId = :me)"
            " AND HostId <> :gone AND OpponentId <> :gone AND attribute_not_exists(Rematch)"
        )
        values = {
            ":finished": s(Status.FINISHED),
            ":me": s(player),
            ":gone": s(DELETED_PLAYER),
            ":id": s(new_id),
            ":one": {"N": "1"},
        }
        with translated("asking for a rematch"):
            try:
                done = self._games.client.update_item(
                    TableName=self._games.name,
                    Key={"GameId": s(game_id)},
                    ConditionExpression=condition,
                    # Version changes so that a poll with the old ETag shows the request.
                    UpdateExpression="SET Rematch = :id, Version = Version + :one",
                    ExpressionAttributeNames={"#st": "Status"},
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if error_code(err) != "ConditionalCheckFailedException":
                    raise
                item = refused_item(err)
                return game_from_item(item) if item else None
        return self._games.told(game_from_item(done["Attributes"]))

    def _put(self, invitation: Game) -> bool:
        """Store the rematch invitation unless a live game holds its id; True if stored.

        A lapsed invitation under that id (not yet deleted by TTL) is replaced.
        """
        clock = {"N": str(int(self._games.clock()))}
        item = computer_item(invitation) if invitation.level else invitation_item(invitation)
        with translated("creating a rematch"):
            try:
                self._games.client.put_item(
                    TableName=self._games.name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(GameId)"
                    " OR (#st = :pending AND ExpiresAt <= :clock)",
                    ExpressionAttributeNames={"#st": "Status"},
                    ExpressionAttributeValues={":pending": s(Status.PENDING), ":clock": clock},
                )
            except ClientError as err:
                if error_code(err) != "ConditionalCheckFailedException":
                    raise
                return False
        return True
