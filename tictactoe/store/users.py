"""The Users table: accounts, keyed by the lower-cased name so names are unique ignoring case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .errors import Taken, error_code, translated
from .games import now
from .limits import PROJECTION as FAILURES_PROJECTION
from .limits import Failures, failures_of


@dataclass(frozen=True)
class User:
    name: str  # as the player typed it at sign-up
    password_hash: str
    picture: str | None = None  # content hash of the current picture (Avatars has the rest)
    # Clients that recently failed to sign in as this player (see store/limits.py).
    login_failures: Failures = field(default_factory=Failures, repr=False)


class Users:
    """Reads and conditional writes of the Users table."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def create(self, name: str, password_hash: str) -> User:
        """Claim `name`; raise Taken if anyone already has it, in any letter case."""
        item = {
            "UserKey": {"S": name.lower()},
            "Name": {"S": name},
            "PasswordHash": {"S": password_hash},
            "CreatedAt": {"S": now()},
        }
        with translated("creating a player"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(UserKey)",
                )
            except ClientError as err:
                if error_code(err) == "ConditionalCheckFailedException":
                    raise Taken(f"the name {name} is taken") from err
                raise
        return User(name, password_hash)

    def get(self, name: str) -> User | None:
        """Return the player called `name` (any letter case), or None."""
        with translated("reading a player"):
            found = self._client.get_item(
                TableName=self._table,
                Key={"UserKey": {"S": name.lower()}},
                ProjectionExpression=f"#n, PasswordHash, Picture, {FAILURES_PROJECTION}",
                ExpressionAttributeNames={"#n": "Name"},
            )
        item = found.get("Item")
        if not item:
            return None
        picture = item.get("Picture", {}).get("S")
        failures = failures_of(item)
        return User(item["Name"]["S"], item["PasswordHash"]["S"], picture, login_failures=failures)

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
