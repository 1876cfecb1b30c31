"""Finishing a game and counting it in one transaction, so each result counts exactly once.

The write that ends a game (the move that wins or fills the board, a resignation, a claim) is
one TransactWriteItems of up to four items:
  - the game: finished and Rated, on condition that it is still in progress at the version
    read (plus the ending's own conditions), with ReturnValuesOnConditionCheckFailure=ALL_OLD;
  - the pair's item (pairs.py): one more rated finish, on condition that the pair has had
    fewer than RATED_PER_PAIR in the last PAIR_WINDOW_SECONDS;
  - each player's Users item: ADD Wins/Losses/Ties, SET Rating, Ladder, Rank, on condition
    that the account exists and still has the rating and wins read before (or no rating yet).
Only one request can move a game from in progress to finished, and the counts change in that
same write, so whichever request finishes a game counts it, once; a racing or retried
request that loses changes nothing and sees the game as it is (Rejected). The ratings are
read just before (one BatchGetItem, eventually consistent); when another game of the same
player finished meanwhile, the transaction is cancelled on that player's item and tried
again with ratings read strongly. A player whose account is gone is not counted. The
ClientRequestToken is derived from the game, its version and the writes, so botocore's own
retry of a call whose answer was lost replays it instead of applying it twice.

When the transaction is cancelled on the pair's item, the pair has played its rated games for
the day: the game finishes unrated, in one UpdateItem of the game alone (the same finishing
update, Rated false, the same conditions), and no Users item changes: not the rating, the
ladder, nor wins, losses and ties. Two games of a pair finishing at once cannot both take the
last rated slot: DynamoDB lets one transaction through, the other is cancelled (a conflict,
tried again, then the pair's condition) and finishes unrated.

Deleting an account deletes the pair items of each of its games' pairs (`forget_pair`, before
the game is forgotten), so none names the player afterwards; TTL is the backstop.

A game against the computer is not counted: it finishes in one UpdateItem of the game alone,
built by the same `finishing` (endings.py, store/computer.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.rules import ratings
from tictactoe.rules.board import Game, Placed, Status
from tictactoe.store.endings import Ending, finished, finishing
from tictactoe.store.errors import (
    Rejected,
    Unavailable,
    cancellation_reasons,
    error_code,
    translated,
)
from tictactoe.store.gametable import GameTable
from tictactoe.store.items import game_from_item, s
from tictactoe.store.ladder import shard
from tictactoe.store.pairs import counting, pair_key

__all__ = ["Ending", "Results", "finishing"]  # Ending and finishing: bench/ names them here

_ATTEMPTS = 3  # a player's rating that changed meanwhile is read again, strongly
_TOKEN_LENGTH = 36  # DynamoDB's limit for ClientRequestToken


@dataclass(frozen=True)
class Standing:
    """A player's rating and wins as read (rating None: no finished game yet)."""

    rating: str | None
    wins: int


class Results:
    """The transactions that finish games and count them."""

    def __init__(self, table: GameTable, users_table: str) -> None:
        self._table = table
        self._client = table.client
        self._games = table.name
        self._users = users_table

    def move(self, game_id: str, player: str, seen: str, placed: Placed, stamp: str) -> Game:
        """Write the move that ends the game (see Games.move) and count its result.

        The transaction names both players' items, and a move carries only the cell and the
        board seen, so the game is read first: eventually consistent (0.5 RCU), strongly only
        when that copy is not the board seen (stale, or the move is refused anyway).
        """
        # A game against the computer finishes in its own single write (store/computer.py).
        playing = (Status.IN_PROGRESS, player, seen, None)
        game = self._table.read(game_id, consistent=False)
        if game is None or (game.status, game.turn, game.board, game.level) != playing:
            game = self._table.read(game_id, consistent=True)
        if game is None or (game.status, game.turn, game.board, game.level) != playing:
            raise Rejected(game)
        ending = Ending(
            placed.board,
            player if placed.won else None,
            "Turn = :me AND Board = :seen",
            {":me": s(player), ":seen": s(seen)},
            (placed.cell,),
        )
        return self.finish(game, ending, stamp)

    def resign(self, game: Game, player: str, stamp: str) -> Game:
        """Finish `game` (in progress, as read) as `player`'s resignation, and count it."""
        return self.finish(game, Ending(game.board, game.other_player(player)), stamp)

    def claim(self, game: Game, player: str, cutoff: str, stamp: str) -> Game:
        """Finish `game` as won by `player`, if the other player has not moved since `cutoff`."""
        other = game.other_player(player)
        assert other is not None  # only a game in progress is claimed: it has both players
        ending = Ending(
            game.board,
            player,
            "Turn = :other AND UpdatedAt <= :cutoff",
            {":other": s(other), ":cutoff": s(cutoff)},
        )
        return self.finish(game, ending, stamp)

    def finish(self, game: Game, ending: Ending, stamp: str) -> Game:
        """Finish `game` (as read, in progress) the way `ending` says, and count the result.

        Raise Rejected(current) when the game is no longer as read; Unavailable when the
        players' ratings kept changing.
        """
        keys = [p.lower() for p in (game.host, game.opponent) if p]
        assert game.opponent is not None  # only a game in progress is finished: both players
        rated = replace(ending, rated=True)
        consistent = False
        for _ in range(_ATTEMPTS):
            standings = self._standings(keys, consistent)
            writes = [self._game_write(game, rated, stamp)]
            writes.append(counting(self._users, game.host, game.opponent, self._table.clock()))
            writes += self._count_writes(game, ending.winner, standings)
            reasons = self._transact(writes, _token(game, writes))
            if not reasons:
                return finished(game, rated, stamp)
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                item = reasons[0].get("Item")
                current = game_from_item(item) if item else None
                raise Rejected(current or self._table.read(game.id, consistent=True))
            if reasons[1].get("Code") == "ConditionalCheckFailed":
                return self._unrated(game, ending, stamp)  # the pair's rated games are used up
            consistent = True  # a rating changed, an account went, or a transaction collided
        raise Unavailable("finishing a game: the players' ratings are changing; try again")

    def forget_pair(self, game: Game) -> None:
        """Delete the pair item of `game`'s two players: one of their accounts is going."""
        if game.level is not None or game.opponent is None:
            return  # the computer, or an open challenge: no pair
        with translated("forgetting a pair's rated games"):
            self._client.delete_item(
                TableName=self._users, Key={"UserKey": s(pair_key(game.host, game.opponent))}
            )

    # -- internals -------------------------------------------------------------------------

    def _unrated(self, game: Game, ending: Ending, stamp: str) -> Game:
        """Finish `game` as `ending` says without counting it; Rejected if it changed."""
        update, values = finishing(replace(ending, rated=False), stamp)
        condition = "#st = :playing AND Version = :v"
        values |= {":playing": s(Status.IN_PROGRESS), ":v": {"N": str(game.version)}}
        if ending.condition:
            condition += f" AND {ending.condition}"
        return self._table.update(game.id, condition, update, values | ending.values, stamp)

    def _standings(self, keys: list[str], consistent: bool) -> dict[str, Standing]:
        """Read the players' ratings and wins; a player with no account is left out."""
        wanted: dict[str, Any] = {
            self._users: {
                "Keys": [{"UserKey": s(k)} for k in keys],
                "ProjectionExpression": "UserKey, Rating, Wins",
                "ConsistentRead": consistent,
            }
        }
        items: list[dict[str, Any]] = []
        for _ in range(_ATTEMPTS):
            with translated("reading the players' ratings"):
                found = self._client.batch_get_item(RequestItems=wanted)
            items += found["Responses"].get(self._users, [])
            wanted = found.get("UnprocessedKeys") or {}
            if not wanted:
                return {i["UserKey"]["S"]: _standing(i) for i in items}
        raise Unavailable("reading the players' ratings: throttled; try again")

    def _game_write(self, game: Game, ending: Ending, stamp: str) -> dict[str, Any]:
        condition = "attribute_exists(GameId) AND #st = :playing AND Version = :v"
        update, values = finishing(ending, stamp)
        values |= {
            ":playing": s(Status.IN_PROGRESS),
            ":v": {"N": str(game.version)},
            **ending.values,
        }
        if ending.condition:
            condition += f" AND {ending.condition}"
        return {
            "Update": {
                "TableName": self._games,
                "Key": {"GameId": s(game.id)},
                "ConditionExpression": condition,
                "UpdateExpression": update,
                "ExpressionAttributeNames": {"#st": "Status"},
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _count_writes(
        self, game: Game, winner: str | None, standings: dict[str, Standing]
    ) -> list[dict[str, Any]]:
        """Return the Users updates that count the result for each player with an account."""
        host, opponent = game.host.lower(), (game.opponent or "").lower()
        before = {k: float(v.rating) if v.rating else ratings.START for k, v in standings.items()}
        host_score = ratings.TIE if winner is None else float(winner == game.host)
        new = dict(
            zip(
                (host, opponent),
                ratings.after_game(
                    before.get(host, ratings.START),
                    before.get(opponent, ratings.START),
                    host_score,
                ),
                strict=True,
            )
        )
        writes = []
        for key, standing in standings.items():
            score = host_score if key == host else 1.0 - host_score
            writes.append(self._count_write(key, standing, new[key], score))
        return writes

    def _count_write(
        self, key: str, standing: Standing, rating: float, score: float
    ) -> dict[str, Any]:
        won, lost, tied = score == ratings.WIN, score == ratings.LOSS, score == ratings.TIE
        values = {
            ":rating": {"N": ratings.stored(rating)},
            ":ladder": s(shard(key)),
            ":rank": {"N": str(ratings.rank(rating, standing.wins + won))},
            ":w": {"N": str(int(won))},
            ":l": {"N": str(int(lost))},
            ":t": {"N": str(int(tied))},
        }
        condition = "attribute_exists(UserKey) AND attribute_not_exists(Rating)"
        if standing.rating is not None:
            condition = "attribute_exists(UserKey) AND Rating = :was AND Wins = :wins"
            values |= {":was": {"N": standing.rating}, ":wins": {"N": str(standing.wins)}}
        return {
            "Update": {
                "TableName": self._users,
                "Key": {"UserKey": s(key)},
                "ConditionExpression": condition,
                "UpdateExpression": "SET Rating = :rating, Ladder = :ladder, #rank = :rank"
                " ADD Wins :w, Losses :l, Ties :t",
                "ExpressionAttributeNames": {"#rank": "Rank"},
                "ExpressionAttributeValues": values,
            }
        }

    def _transact(self, writes: list[dict[str, Any]], token: str) -> list[dict[str, Any]]:
        """Run the writes as one transaction; return [] or each write's cancellation reason."""
        with translated("finishing a game"):
            try:
                self._client.transact_write_items(TransactItems=writes, ClientRequestToken=token)
            except ClientError as err:
                if error_code(err) != "TransactionCanceledException":
                    raise
                found = list(cancellation_reasons(err))
                return found + [{"Code": "None"}] * (len(writes) - len(found))
        return []


def _standing(item: dict[str, Any]) -> Standing:
    return Standing(item.get("Rating", {}).get("N"), int(item.get("Wins", {}).get("N", "0")))


def _token(game: Game, writes: list[dict[str, Any]]) -> str:
    """Name this very transaction: the same game, version and writes give the same token."""
    prefix = f"{game.id}.{game.version}."[:20]
    digest = hashlib.sha256(json.dumps(writes, sort_keys=True).encode()).hexdigest()
    return prefix + digest[: _TOKEN_LENGTH - len(prefix)]
