"""Storage errors, and the one place botocore errors are translated into them (DynamoDB and S3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError

# Codes that mean "DynamoDB or S3 is busy or briefly unwell": worth a "try again".
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "TransactionInProgressException",
    }
)


class StoreError(Exception):
    """A storage call failed in a way the caller cannot fix by trying again."""


class Unavailable(StoreError):
    """The database or object store did not answer in time; try again shortly."""


class NotFound(StoreError):
    """No such record."""


class Taken(StoreError):
    """A record with that key already exists."""


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn botocore failures inside the block into Unavailable or StoreError."""
    try:
        yield
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in TRANSIENT_CODES:
            raise Unavailable(f"{what}: {code}") from err
        raise StoreError(f"{what}: {code}") from err
    except BotoCoreError as err:  # connection refused, timeouts, retries exhausted
        raise Unavailable(f"{what}: {err}") from err


def error_code(err: ClientError) -> str:
    """Return the AWS error code of a ClientError."""
    return str(err.response.get("Error", {}).get("Code", ""))


def refused_item(err: ClientError) -> dict[str, Any] | None:
    """Return the item a refused conditional write sent back, when it asked for it."""
    # botocore's stubs type an error's response without DynamoDB's Item.
    item: dict[str, Any] | None = cast("dict[str, Any]", err.response).get("Item")
    return item


def cancellation_reasons(err: ClientError) -> list[dict[str, Any]]:
    """Return a cancelled transaction's reasons, one per write: Code, and Item when asked."""
    # botocore's stubs type each reason's Item as a key/value pair, not an attribute map.
    reasons: list[dict[str, Any]] = cast("dict[str, Any]", err.response).get(
        "CancellationReasons", []
    )
    return reasons
