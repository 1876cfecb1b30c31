"""Play now: pairing two players who press it, across instances and tabs. DynamoDB decides.

No queue in memory: three kinds of item in the Games table decide, by conditional writes: the
slot, each player's pointer and the tombstones (waits.py says how they are stored). The
Ticket of a wait is the id of the game it becomes, so the game's put, on condition
attribute_not_exists(GameId), is the lock: a wait is paired at most once. Cancelling (`stop`)
puts a tombstone under the Ticket, on the same condition, so of a cancel and a pairing that
race exactly one lands: a cancelled wait never becomes a game, and one paired keeps its game.

Pressing Play now (`play`), in a loop of at most ATTEMPTS:
 1. Read the slot, strongly. It holds the player's own live wait (another tab): answer that
    wait, writing nothing (but the pointer, if a racing tab left it naming another ticket).
 2. Check the player's room: the cap on open invitations (invitations.py); full is a 429.
 3. It holds another player's live wait: put the game under its Ticket, the waiter as host
    and X (they waited longer: they move first). Landed: clear the slot if it still holds
    that Ticket, announce the game (the waiter's stream shows it), answer the game. Refused:
    the Ticket was used or cancelled, so the slot is stale.
 4. Wait: put the pointer, then the slot, on condition that the slot is empty, expired, or
    holds the stale Ticket of 3. Refused: someone took it meanwhile; back to 1 with the slot
    DynamoDB returned. Pointer before slot: when the slot's write fails, a pointer naming a
    ticket that the slot does not hold reads as idle, which is true.
So a waiter leaves the slot only by being paired, cancelling or expiring.

Expiry. A pairer compares the slot's ExpiresAt with its own clock before it writes the game:
"never paired after the wait expired" rests on the moment between that read and that write
(milliseconds), and on the instances' clocks agreeing.

Costs, in DynamoDB Local's units: see tests/store/test_capacity_pairing.py.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.rules.board import Game, Status
from tictactoe.rules.clock import now
from tictactoe.store.errors import NotFound, Unavailable, error_code, refused_item, translated
from tictactoe.store.games import Games
from tictactoe.store.invitations import Invitations
from tictactoe.store.items import game_from_item, s, text
from tictactoe.store.live import live_keys
from tictactoe.store.schema import TTL_ATTRIBUTE
from tictactoe.store.waits import LINGER, POINTER, SLOT, Wait, game_item, pointer_key, wait_from

__all__ = ["POINTER", "SLOT", "Looking", "Paired", "Pairing"]  # the keys: tests name them here

ATTEMPTS = 10
BACKOFF = 0.02  # seconds, at most, times the attempt: racing presses spread out
_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class Looking:
    """The player is looking for an opponent until `expires_at` (epoch seconds)."""

    expires_at: int


@dataclass(frozen=True)
class Paired:
    """The player's press, or their wait, became `game`."""

    game: Game


class Pairing:
    """The Play-now slot, the players' pointers and the tombstones, in one Games table."""

    def __init__(self, client: Any, table: str, games: Games, wait_seconds: int = 60) -> None:
        self._client = client
        self._table = table
        self._games = games  # counts the room, announces the games paired, reads them
        self.wait_seconds = wait_seconds
        self.clock: Callable[[], float] = time.time  # epoch seconds; tests may wind it on
        # Only its count of open invitations is used here, which reads no game.
        self._invitations = Invitations(games.table)

    def play(self, player: str, picture: str | None = None) -> Looking | Paired:
        """Pair `player` with the player waiting, or make them the one who waits.

        Raises TooManyInvitations when `player` has no room for a game (nothing written),
        and Unavailable when the slot kept changing for ATTEMPTS tries.
        """
        slot, room_checked = self._slot(), False
        for attempt in range(ATTEMPTS):
            moment = self.clock()
            if slot and slot.live(moment) and slot.of(player):
                return self._rejoin(player, slot)
            if not room_checked:
                created_after = self._games.table.live_after(moment)
                self._invitations.check_room(player, created_after)
                room_checked = True
            if slot and slot.live(moment):
                game = self._pair(slot, player, picture, moment)
                if game is not None:
                    return Paired(game)
            taken = self._take(player, picture, moment, slot.ticket if slot else None)
            if isinstance(taken, Looking):
                return taken
            slot = taken
            time.sleep(random.uniform(0, BACKOFF * (attempt + 1)))
        raise Unavailable("many players pressed Play now at once; try again")

    def state(self, player: str) -> Looking | Paired | None:
        """Return `player`'s live wait, the game in progress it became, or None (idle).

        The player waits while the slot holds their live wait: one cheap read says so (as a
        poll of a game costs). Else, read strongly: paired while the game their pointer names
        is in progress (whoever paired with a press was answered the game, and has no pointer).
        """
        moment, slot = self.clock(), self._slot(consistent=False)
        if slot and slot.of(player) and slot.live(moment):
            return Looking(slot.expires_at)
        pointer, slot = self._both(player, consistent=True)
        if slot and slot.of(player) and slot.live(moment):
            return Looking(slot.expires_at)
        game = self._game(text(pointer, "Ticket")) if pointer else None
        if game and game.status is Status.IN_PROGRESS and player.lower() == game.host.lower():
            return Paired(game)
        return None

    def stop(self, player: str) -> None:
        """Cancel `player`'s wait, if any, for good; a wait paired meanwhile keeps its game."""
        pointer, slot = self._both(player, consistent=True)
        pointed = text(pointer, "Ticket") if pointer else None
        tickets = {pointed} | ({slot.ticket} if slot and slot.of(player) else set())
        for ticket in sorted(t for t in tickets if t):
            if self._bury(ticket) and ticket == pointed:
                self._delete(pointer_key(player), ticket, "forgetting a wait")
            if slot and ticket == slot.ticket:
                self._delete({"GameId": s(SLOT)}, ticket, "clearing the wait")

    # -- internals -------------------------------------------------------------------------

    def _rejoin(self, player: str, slot: Wait) -> Looking:
        """Answer the player's own live wait; point their pointer at it if a tab did not."""
        with translated("reading a wait"):
            found = self._client.get_item(
                TableName=self._table, Key=pointer_key(player), ConsistentRead=True
            )
        if text(found.get("Item", {}), "Ticket") != slot.ticket:
            self._point(player, slot.ticket, slot.expires_at)
        return Looking(slot.expires_at)

    def _pair(self, slot: Wait, player: str, picture: str | None, moment: float) -> Game | None:
        """Start the game of `slot`'s wait with `player`; None if the wait was used or cancelled."""
        stamp = now(moment)
        item = game_item(slot, player, picture, stamp) | live_keys(stamp)  # store/live.py
        if self._put(item, "attribute_not_exists(GameId)", "pairing two players") is not None:
            return None
        game = game_from_item(item)
        # Clear the slot first, then announce: a waiter's page that hears the news asks where
        # its wait stands, and must not find the slot still holding it ("waiting", then 10 s
        # of nothing). Should this process stop between the two, the page's backstop poll
        # finds the game through the waiter's pointer (`state`).
        self._delete({"GameId": s(SLOT)}, slot.ticket, "clearing the wait")
        self._games.table.told(game)  # the waiter's stream shows the game
        return game

    def _take(
        self, player: str, picture: str | None, moment: float, stale: str | None
    ) -> Looking | Wait | None:
        """Make `player` the one who waits; else return the wait that holds the slot now."""
        ticket, expires_at = secrets.token_urlsafe(12), int(moment) + self.wait_seconds
        self._point(player, ticket, expires_at)
        condition = "attribute_not_exists(Ticket) OR ExpiresAt <= :now"
        values = {":now": {"N": str(int(moment))}} | ({":stale": s(stale)} if stale else {})
        item = {
            "GameId": s(SLOT),
            "Waiter": s(player),
            "Ticket": s(ticket),
            TTL_ATTRIBUTE: {"N": str(expires_at)},
        }
        if picture:  # the game's host picture, when someone pairs with this wait
            item["Picture"] = s(picture)
        condition += " OR Ticket = :stale" if stale else ""
        held = self._put(item, condition, "waiting for an opponent", values)
        return Looking(expires_at) if held is None else wait_from(held)

    def _point(self, player: str, ticket: str, expires_at: int) -> None:
        with translated("recording a wait"):
            self._client.put_item(
                TableName=self._table,
                Item=pointer_key(player)
                | {"Ticket": s(ticket), TTL_ATTRIBUTE: {"N": str(expires_at + LINGER)}},
            )

    def _bury(self, ticket: str) -> bool:
        """Put the tombstone that keeps wait `ticket` from becoming a game; False: it is one."""
        expires_at = int(self.clock()) + self.wait_seconds + LINGER
        tombstone = {
            "GameId": s(ticket),
            "Cancelled": {"BOOL": True},
            TTL_ATTRIBUTE: {"N": str(expires_at)},
        }
        return self._put(tombstone, "attribute_not_exists(GameId)", "cancelling a wait") is None

    def _put(
        self, item: dict[str, Any], condition: str, what: str, values: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Put `item` if `condition` holds (None); else return the item there instead."""
        with translated(what):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression=condition,
                    **({"ExpressionAttributeValues": values} if values else {}),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if error_code(err) != _FAILED:
                    raise
                return refused_item(err) or {}
        return None

    def _delete(self, key: dict[str, Any], ticket: str, what: str) -> None:
        """Delete the slot or a pointer if it still names `ticket` (a newer one stays)."""
        with translated(what):
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key=key,
                    ConditionExpression="Ticket = :t",
                    ExpressionAttributeValues={":t": s(ticket)},
                )
            except ClientError as err:
                if error_code(err) != _FAILED:
                    raise

    def _slot(self, consistent: bool = True) -> Wait | None:
        with translated("reading the wait"):
            found = self._client.get_item(
                TableName=self._table, Key={"GameId": s(SLOT)}, ConsistentRead=consistent
            )
        return wait_from(found.get("Item"))

    def _both(self, player: str, consistent: bool) -> tuple[dict[str, Any] | None, Wait | None]:
        """Read the player's pointer and the slot in one call."""
        keys = [pointer_key(player), {"GameId": s(SLOT)}]
        wanted: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": consistent}}
        items: list[dict[str, Any]] = []
        for _ in range(3):
            with translated("reading a wait"):
                found = self._client.batch_get_item(RequestItems=wanted)
            items += found["Responses"].get(self._table, [])
            wanted = found.get("UnprocessedKeys") or {}
            if not wanted:
                by_key = {i["GameId"]["S"]: i for i in items}
                return by_key.get(keys[0]["GameId"]["S"]), wait_from(by_key.get(SLOT))
        raise Unavailable("reading a wait: DynamoDB is busy; try again")

    def _game(self, game_id: str | None) -> Game | None:
        try:
            return self._games.get(game_id) if game_id else None
        except NotFound:  # never paired: expired, cancelled, or the race for the slot lost
            return None
