"""Throttle counters in the Users table, shared by every worker and instance.

Two kinds of record, both under keys no player can have (player keys are lower-cased names
of letters, digits, '_' and '-', so a key with '#' is never a player's):

- `limit#<kind>#<client>#<window>`: how many counted attempts one client made in one fixed
  window (a minute of logins, an hour of sign-ups). One conditional `ADD` per counted attempt;
  the condition refuses once the limit is reached, so the count never passes it. TTL removes
  the record after its window.
- `LoginFailures` on a player's own item: a small map, client -> [first failure, failures],
  of the clients that failed to sign in as that player in the last 15 minutes. The login
  reads the player's item anyway, so checking it costs nothing extra; it is written only when
  a password is wrong, guarded by `LoginFailuresVersion` so concurrent failures add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.store.errors import NotFound, error_code, refused_item, translated
from tictactoe.store.schema import TTL_ATTRIBUTE

FAILURES = "LoginFailures"
FAILURES_VERSION = "LoginFailuresVersion"
# What Users.get adds to its projection so the login sees this player's failing clients.
PROJECTION = f"{FAILURES}, {FAILURES_VERSION}"


@dataclass(frozen=True)
class Failures:
    """The clients that recently failed to sign in as one player, as last read."""

    by_client: dict[str, tuple[int, int]] = field(default_factory=dict)  # -> (first, count)
    version: int = 0


def failures_of(item: dict[str, Any]) -> Failures:
    """Read a player's failing clients from their item (as DynamoDB returned it)."""
    found = item.get(FAILURES, {}).get("M", {})
    by_client = {
        client: (int(value["L"][0]["N"]), int(value["L"][1]["N"]))
        for client, value in found.items()
    }
    return Failures(by_client, int(item.get(FAILURES_VERSION, {}).get("N", "0")))


class Counters:
    """The conditional writes behind the limits."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def hit(self, kind: str, client: str, window: int, limit: int, expires: int) -> int | None:
        """Count one attempt of `client` in `window`; return the new count, or None when the
        count had already reached `limit` (nothing is added then)."""
        with translated("counting an attempt"):
            try:
                found = self._client.update_item(
                    TableName=self._table,
                    Key={"UserKey": {"S": f"limit#{kind}#{client}#{window}"}},
                    UpdateExpression="ADD Hits :one SET #ttl = :expires",
                    ConditionExpression="attribute_not_exists(Hits) OR Hits < :limit",
                    ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":limit": {"N": str(limit)},
                        ":expires": {"N": str(expires)},
                    },
                    ReturnValues="UPDATED_NEW",
                )
            except ClientError as err:
                if error_code(err) == "ConditionalCheckFailedException":
                    return None
                raise
        return int(found["Attributes"]["Hits"]["N"])

    def save_failures(self, name: str, seen: Failures, now: Failures) -> Failures | None:
        """Replace the player's failing clients `seen` with `now`; return None when saved, or
        what is stored instead when another failure got there first. NotFound: no such player.
        """
        with translated("recording a failed login"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"UserKey": {"S": name.lower()}},
                    UpdateExpression="SET #f = :failures, #v = :next",
                    ConditionExpression="attribute_exists(UserKey) AND "
                    + ("#v = :seen" if seen.version else "attribute_not_exists(#v)"),
                    ExpressionAttributeNames={"#f": FAILURES, "#v": FAILURES_VERSION},
                    ExpressionAttributeValues={
                        ":failures": {"M": _failures_map(now)},
                        ":next": {"N": str(seen.version + 1)},
                        **({":seen": {"N": str(seen.version)}} if seen.version else {}),
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if error_code(err) != "ConditionalCheckFailedException":
                    raise
                item = refused_item(err)
                if not item:
                    raise NotFound(f"there is no player called {name}") from err
                return failures_of(item)
        return None


def _failures_map(failures: Failures) -> dict[str, Any]:
    return {
        client: {"L": [{"N": str(first)}, {"N": str(count)}]}
        for client, (first, count) in failures.by_client.items()
    }
