"""The Users table: accounts, keyed by the lower-cased name so names are unique ignoring case.

How an account is stored, its item and its look-alike claim, is in accounts.py. Creating an
account puts both items in one transaction, so of two look-alike names raced for, at most one
wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.rules.clock import now
from tictactoe.rules.notices import Notice, Revoked
from tictactoe.store.accounts import (
    CLAIM,
    MAX_SIGNED_OUT,
    User,
    signed_out_of,
    user_from_item,
)
from tictactoe.store.errors import Taken, Unavailable, error_code, translated
from tictactoe.store.items import s
from tictactoe.store.limits import PROJECTION as FAILURES_PROJECTION

# CLAIM and MAX_SIGNED_OUT: tests and services name them here.
__all__ = ["CLAIM", "MAX_SIGNED_OUT", "TooSimilar", "User", "Users"]

_ATTEMPTS = 3  # a transaction that collided with a concurrent one is tried again


class TooSimilar(Taken):
    """Another player's name looks the same (409)."""


class Users:
    """Reads and conditional writes of the Users table."""

    def __init__(self, client: Any, table: str) -> None:
        # Told when sessions end, after the write (the push bus closes their streams).
        self.announce: Callable[[Notice], None] = lambda notice: None
        self._client = client
        self._table = table

    def create(self, name: str, password_hash: str, skeleton: str) -> User:
        """Claim `name` and its look-alike `skeleton` together.

        Raise Taken if anyone already has the name in any letter case, TooSimilar if someone
        holds the skeleton.
        """
        user = User(name, password_hash, None, now(), 0, skeleton)
        item = {
            "UserKey": s(name.lower()),
            "Name": s(name),
            "PasswordHash": s(password_hash),
            "CreatedAt": s(user.created_at),
            "SessionEpoch": {"N": "0"},
            "Skeleton": s(skeleton),
        }
        claim = {
            "UserKey": s(CLAIM + skeleton),
            "Owner": s(name.lower()),
            "CreatedAt": s(user.created_at),
        }
        new = "attribute_not_exists(UserKey)"
        writes = [
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": new}},
            {"Put": {"TableName": self._table, "Item": claim, "ConditionExpression": new}},
        ]
        for _ in range(_ATTEMPTS):
            reasons = self._transact(writes, "creating a player")
            if not reasons:
                return user
            if reasons[0] == "ConditionalCheckFailed":
                raise Taken(f"the name {name} is taken")
            if reasons[1] == "ConditionalCheckFailed":
                raise TooSimilar(f"the name {name} is too similar to an existing name")
        raise Unavailable("creating a player: the name is being claimed right now; try again")

    def claim_skeleton(self, user: User, skeleton: str) -> bool:
        """Give an account from before look-alike claims its claim, if no one holds it yet.

        Either way the account is marked (Skeleton, or "" when a look-alike holds the claim),
        so this runs once per account. Return True if the claim is now the account's.
        """
        key = s(user.name.lower())
        marked = {
            "TableName": self._table,
            "Key": {"UserKey": key},
            "UpdateExpression": "SET Skeleton = :s",
            "ConditionExpression": "attribute_exists(UserKey)",
        }
        claim = {"UserKey": s(CLAIM + skeleton), "Owner": key, "CreatedAt": s(now())}
        writes = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": claim,
                    "ConditionExpression": "attribute_not_exists(UserKey)",
                }
            },
            {"Update": {**marked, "ExpressionAttributeValues": {":s": s(skeleton)}}},
        ]
        if not self._transact(writes, "claiming a name"):
            return True
        with translated("updating a player"):  # a look-alike holds it: keep both working
            self._client.update_item(**marked, ExpressionAttributeValues={":s": s("")})
        return False

    def get(self, name: str, consistent: bool = False) -> User | None:
        """Return the player called `name` (any letter case), or None."""
        with translated("reading a player"):
            found = self._client.get_item(
                TableName=self._table,
                Key={"UserKey": s(name.lower())},
                ProjectionExpression=(
                    "#n, PasswordHash, Picture, CreatedAt, SessionEpoch, Skeleton, SignedOut, "
                    + FAILURES_PROJECTION
                ),
                ExpressionAttributeNames={"#n": "Name"},
                ConsistentRead=consistent,
            )
        return user_from_item(found.get("Item"))

    def set_picture(self, name: str, digest: str | None) -> None:
        """Point the player's record at their current picture (None: the default one).

        Kept beside the password so that signing in and inviting, which read this item
        anyway, learn the picture for free; new games copy it, so showing a game costs no read.
        """
        update = "SET Picture = :d" if digest else "REMOVE Picture"
        values = {"ExpressionAttributeValues": {":d": {"S": digest}}} if digest else {}
        with translated("updating a player"):
            self._client.update_item(
                TableName=self._table,
                Key={"UserKey": {"S": name.lower()}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(UserKey)",
                **values,
            )

    def set_password(self, user: User, password_hash: str) -> int | None:
        """Replace the password the player had when `user` was read, and advance the session
        epoch; return the new epoch, or None if the account changed meanwhile."""
        return self._revoked(
            user.name,
            self._advance(
                user.name,
                "SET PasswordHash = :new ADD SessionEpoch :one",
                "PasswordHash = :old",
                {":new": s(password_hash), ":old": s(user.password_hash)},
            ),
        )

    def advance_epoch(self, name: str) -> int | None:
        """Make every session issued so far stale; return the new epoch (None: no account)."""
        epoch = self._advance(name, "ADD SessionEpoch :one", "attribute_exists(UserKey)", {})
        return self._revoked(name, epoch)

    def sign_out(self, name: str, account: str, session: str, until: int, at: int) -> None:
        """Record that `session` of the account created at `account` has ended, until `until`.

        One write, which returns the list it made (for no read unit). Only when an entry has
        passed its time or the list is over MAX_SIGNED_OUT does a second write follow, guarded
        by the version: it drops the old entries or, when more than MAX_SIGNED_OUT are live,
        advances the session epoch instead, which ends every session of the account (the
        safe side: dropping a live entry would bring a copied cookie back to life).
        """
        new = {"L": [{"L": [s(session), {"N": str(until)}]}]}
        done = self._update_if(
            name,
            "SET SignedOut = list_append(if_not_exists(SignedOut, :none), :new) "
            "ADD SignedOutVersion :one",
            "CreatedAt = :account",  # not a deleted account's successor, nor a new item
            {":none": {"L": []}, ":new": new, ":account": s(account)},
        )
        if done is None:
            return  # the account is gone: its sessions ended with it
        entries = signed_out_of(done)
        live = [entry for entry in entries if entry[1] >= at]
        if len(live) == len(entries) <= MAX_SIGNED_OUT:
            return
        version = {":v": done["SignedOutVersion"]}
        if len(live) > MAX_SIGNED_OUT:
            update = "SET SignedOut = :none ADD SessionEpoch :one, SignedOutVersion :one"
            values = {**version, ":none": {"L": []}}
            self._revoked(name, self._advance(name, update, "SignedOutVersion = :v", values))
            return
        kept = {"L": [{"L": [s(sid), {"N": str(end)}]} for sid, end in live]}
        # A concurrent sign-out changed the version meanwhile: it prunes, or the next one will.
        self._update_if(
            name,
            "SET SignedOut = :kept ADD SignedOutVersion :one",
            "SignedOutVersion = :v",
            {**version, ":kept": kept},
        )

    def delete(self, user: User) -> None:
        """Delete the account and, if it holds one, its look-alike claim, together."""
        key = s(user.name.lower())
        account = {"Delete": {"TableName": self._table, "Key": {"UserKey": key}}}
        writes: list[dict[str, Any]] = [account]
        if user.skeleton:
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"UserKey": s(CLAIM + user.skeleton)},
                        "ConditionExpression": "attribute_not_exists(UserKey) OR #o = :me",
                        "ExpressionAttributeNames": {"#o": "Owner"},
                        "ExpressionAttributeValues": {":me": key},
                    }
                }
            )
        for _ in range(_ATTEMPTS):
            if not self._transact(writes, "deleting a player"):
                self.announce(Revoked(user.name, None))
                return
        raise Unavailable("deleting a player: the account is changing right now; try again")

    # -- internals -------------------------------------------------------------------------

    def _revoked(self, name: str, epoch: int | None) -> int | None:
        """Announce that sessions of `name` before `epoch` ended, if the write made one."""
        if epoch is not None:
            self.announce(Revoked(name, epoch))
        return epoch

    def _advance(
        self, name: str, update: str, condition: str, values: dict[str, Any]
    ) -> int | None:
        done = self._update_if(name, update, condition, values)
        return None if done is None else int(done["SessionEpoch"]["N"])

    def _update_if(
        self, name: str, update: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Update the player's item if `condition` holds; return the attributes it wrote."""
        with translated("updating a player"):
            try:
                done = self._client.update_item(
                    TableName=self._table,
                    Key={"UserKey": s(name.lower())},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues={":one": {"N": "1"}, **values},
                    ReturnValues="UPDATED_NEW",
                )
            except ClientError as err:
                if error_code(err) == "ConditionalCheckFailedException":
                    return None
                raise
        attributes: dict[str, Any] = done["Attributes"]
        return attributes

    def _transact(self, writes: list[dict[str, Any]], what: str) -> list[str]:
        """Run the writes as one transaction; return [] or each write's cancellation reason."""
        with translated(what):
            try:
                self._client.transact_write_items(TransactItems=writes)
            except ClientError as err:
                if error_code(err) != "TransactionCanceledException":
                    raise
                found = err.response.get("CancellationReasons", [])
                reasons = [r.get("Code") or "None" for r in found]
                return reasons + ["None"] * (len(writes) - len(reasons))
        return []
