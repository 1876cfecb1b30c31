"""One Games table and what every store of its games shares: the clock, reads, guarded writes.

The Games store (games.py) builds one GameTable and hands it to each of its parts
(invitations, answers, rematches, results, games against the computer, the lists), so each
part reads and writes through the same few operations, with the same clock, and announces
what it changed the same way, instead of being handed the Games store's own methods.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.rules import notices
from tictactoe.rules.board import Game
from tictactoe.rules.clock import now
from tictactoe.rules.notices import Notice
from tictactoe.store.errors import Rejected, error_code, refused_item, translated
from tictactoe.store.items import game_from_item, s

WEEK = 7 * 24 * 3600


def new_game_id() -> str:
    """Return a fresh game id (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


class GameTable:
    """The Games table's client and name, its clock, and the operations its stores share."""

    def __init__(self, client: Any, name: str, expiry_seconds: int = WEEK) -> None:
        self.client = client
        self.name = name
        self.expiry_seconds = expiry_seconds  # how long an invitation waits for an answer
        self.clock: Callable[[], float] = time.time  # epoch seconds; tests may wind it on
        # Told of every change after its write succeeded (the push bus, when push is on).
        self.announce: Callable[[Notice], None] = lambda notice: None

    def told(self, game: Game) -> Game:
        """Announce that `game` changed (its write succeeded); return it."""
        self.announce(notices.changed(game))
        return game

    def expired(self, game: Game) -> bool:
        """Return True when `game` is an invitation that lapsed unanswered."""
        return game.expires_at is not None and game.expires_at <= self.clock()

    def live_after(self, moment: float) -> str:
        """Return the creation time before which an invitation has expired."""
        return now(moment - self.expiry_seconds)

    def read(self, game_id: str, consistent: bool) -> Game | None:
        """Return the game as stored, or None (no such game)."""
        with translated("reading a game"):
            found = self.client.get_item(
                TableName=self.name, Key={"GameId": s(game_id)}, ConsistentRead=consistent
            )
        item = found.get("Item")
        # An item without HostId is no game: a cancelled Play-now wait's tombstone (pairing.py).
        return game_from_item(item) if item and "HostId" in item else None

    def put_new(self, item: dict[str, Any], what: str) -> None:
        """Store a new game's item, on condition that its id is not taken."""
        with translated(what):
            self.client.put_item(
                TableName=self.name, Item=item, ConditionExpression="attribute_not_exists(GameId)"
            )

    def update(
        self, game_id: str, condition: str, update: str, values: dict[str, Any], stamp: str = ""
    ) -> Game:
        """Update a game on `condition`; return it as written. Refused: Rejected with the game."""
        values = values | {":one": {"N": "1"}, ":now": s(stamp or now())}
        with translated("updating a game"):
            try:
                done = self.client.update_item(
                    TableName=self.name,
                    Key={"GameId": s(game_id)},
                    ConditionExpression=f"attribute_exists(GameId) AND {condition}",
                    UpdateExpression=update,
                    ExpressionAttributeNames={"#st": "Status"},
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise rejected(err) from err
        return game_from_item(done["Attributes"])

    def delete(self, game_id: str, condition: str, values: dict[str, Any], what: str) -> Game:
        """Delete a game on `condition`; return it as it was. Refused: Rejected with the game."""
        names = {"ExpressionAttributeNames": {"#st": "Status"}} if "#st" in condition else {}
        with translated(what):
            try:
                gone = self.client.delete_item(
                    TableName=self.name,
                    Key={"GameId": s(game_id)},
                    ConditionExpression=condition,
                    **names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_OLD",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise rejected(err) from err
        return game_from_item(gone["Attributes"])


def rejected(err: ClientError) -> Exception:
    """Return what a refused write raises: Rejected with the game as it is; else `err`."""
    if error_code(err) != "ConditionalCheckFailedException":
        return err
    item = refused_item(err)
    return Rejected(game_from_item(item) if item and "HostId" in item else None)
