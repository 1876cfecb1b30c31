"""The rules that keep invitations from being abused, as conditional writes on the Games table.

One open invitation per pair of players. A small lock item, keyed by the sorted pair, names
the invitation it guards. Its key holds '#', which no game id can (ids match
[A-Za-z0-9_-]), and it has no HostId, OpponentId or StatusDate, so it never shows in the
indexes. The lock is taken with one conditional PutItem and released lazily: a lock whose
invitation is no longer live (answered, withdrawn, expired or gone) may be taken over by a
write that is conditional on the lock still naming that invitation. So two players inviting
each other at the same instant cannot both win, and nothing has to clean up after a game.

A lock that names a game which does not exist yet is one being created right now (the lock
is written first, the game just after), unless it is older than CREATING_SECONDS: then the
request that took it died before writing its game, and the lock is stale.

At most MAX_SENT live invitations per host: a count of the host's index entries whose
StatusDate is INVITED_<created> with `created` inside the expiry window.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tictactoe.rules.board import Status
from tictactoe.store.errors import Unavailable, error_code, refused_item, translated
from tictactoe.store.gametable import GameTable
from tictactoe.store.items import INVITED
from tictactoe.store.schema import HOST_INDEX, TTL_ATTRIBUTE

MAX_SENT = 20
# Far longer than the two writes can take: botocore gives up on a call after about 15 s
# (3 attempts, 5 s read timeout, tictactoe/adapters/clients.py).
CREATING_SECONDS = 60
_TAKE_ATTEMPTS = 3


class OpenInvitation(Exception):
    """The pair already has a live invitation, either way round: `game_id` names it."""

    def __init__(self, game_id: str) -> None:
        super().__init__("you two already have an open invitation")
        self.game_id = game_id


class TooManyInvitations(Exception):
    """The host already has MAX_SENT live invitations out."""


def pair_key(one: str, other: str) -> str:
    """Return the lock's key for a pair of players, the same whichever of them invites."""
    return "invitation#" + "#".join(sorted((one.lower(), other.lower())))


def invited_range(created_after: str) -> dict[str, dict[str, str]]:
    """The StatusDate bounds of invitations created after `created_after` (live ones)."""
    # '~' sorts after every digit, so it bounds any ISO time from above.
    return {":from": {"S": INVITED + created_after}, ":to": {"S": INVITED + "~"}}


class Invitations:
    """The pair locks and the per-host count of one Games table."""

    def __init__(self, table: GameTable) -> None:
        self._games = table
        self._client = table.client
        self._table = table.name

    def check_room(self, host: str, created_after: str) -> None:
        """Raise TooManyInvitations when `host` has MAX_SENT live invitations out.

        Not exact under concurrency: requests of one host that run at the same instant
        (or within the index's propagation delay, normally well under a second) each count
        the others as not yet there. Each must also win its own pair's lock, so the host
        can overshoot by at most the number of such requests in flight at once.
        """
        with translated("counting invitations"):
            found = self._client.query(
                TableName=self._table,
                IndexName=HOST_INDEX,
                KeyConditionExpression="HostId = :p AND StatusDate BETWEEN :from AND :to",
                ExpressionAttributeValues={":p": {"S": host}, **invited_range(created_after)},
                Select="COUNT",
                Limit=MAX_SENT,  # enough to decide; reads no more than that
            )
        if found["Count"] >= MAX_SENT:
            raise TooManyInvitations(
                f"you have {MAX_SENT} open invitations; wait for answers or withdraw one"
            )

    def take(self, host: str, opponent: str, game_id: str, expires_at: int, now: float) -> None:
        """Make `game_id` the pair's open invitation, or raise OpenInvitation naming theirs."""
        key = {"GameId": {"S": pair_key(host, opponent)}}
        held = self._held(key)
        for _ in range(_TAKE_ATTEMPTS):
            if held is None:
                condition, values = "attribute_not_exists(GameId)", {}
            else:
                holder = held["Game"]["S"]
                if self._guards(holder, held, now):
                    raise OpenInvitation(holder)
                condition, values = "Game = :held", {":held": {"S": holder}}
            refused = self._put(key, game_id, expires_at, now, condition, values)
            if refused is None:
                return
            held = refused or None  # {}: the lock vanished meanwhile (TTL); try as if free
        raise Unavailable("the pair's invitation kept changing; try again")

    def release(self, host: str, opponent: str | None, game_id: str) -> None:
        """Free the pair's lock if it still names `game_id` (after a reject or a withdrawal)."""
        if opponent is None:
            return  # an open challenge: it names no pair, so it took no lock
        with translated("releasing an invitation"):
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key={"GameId": {"S": pair_key(host, opponent)}},
                    ConditionExpression="Game = :g",
                    ExpressionAttributeValues={":g": {"S": game_id}},
                )
            except ClientError as err:
                if error_code(err) != "ConditionalCheckFailedException":
                    raise
                # Already taken over by a newer invitation: nothing to free.

    def _held(self, key: dict[str, Any]) -> dict[str, Any] | None:
        """Read the lock cheaply; a stale answer only costs a failed conditional write."""
        with translated("reading an invitation lock"):
            found = self._client.get_item(TableName=self._table, Key=key)
        item: dict[str, Any] | None = found.get("Item")
        return item

    def _guards(self, holder: str, lock: dict[str, Any], now: float) -> bool:
        """Return True while the lock's invitation is live (or still being written)."""
        if float(lock[TTL_ATTRIBUTE]["N"]) <= now:
            return False  # it expired with its invitation
        # An eventually consistent read is enough: a stale copy of a game is an older state,
        # pending or not yet written, both of which keep the lock. So it can only refuse a
        # takeover for a moment (a 409 just after an accept), never allow a wrong one.
        game = self._games.read(holder, consistent=False)
        if game is None:
            return now - float(lock["TakenAt"]["N"]) < CREATING_SECONDS
        return game.status is Status.PENDING

    def _put(
        self,
        key: dict[str, Any],
        game_id: str,
        expires_at: int,
        now: float,
        condition: str,
        values: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Write the lock if `condition` holds (None); else return the lock there instead."""
        with translated("locking an invitation"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item={
                        **key,
                        "Game": {"S": game_id},
                        "TakenAt": {"N": str(int(now))},
                        TTL_ATTRIBUTE: {"N": str(expires_at)},
                    },
                    ConditionExpression=condition,
                    **({"ExpressionAttributeValues": values} if values else {}),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if error_code(err) != "ConditionalCheckFailedException":
                    raise
                return refused_item(err) or {}
        return None
