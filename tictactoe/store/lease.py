"""The migration lease: one process at a time changes the tables (see migration.py).

An item in the Users table under a key no player can have ('#' is never part of a name),
put on condition that nobody holds it or that its holder's time ran out, and deleted by its
holder alone. TTL removes one left by a process that died; its time is checked anyway.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.store.errors import error_code, translated

KEY = "schema#migration"
SECONDS = 120  # a holder that died frees the tables after this


@contextmanager
def held(client: Any, table: str, key_attribute: str, expiry_attribute: str) -> Iterator[bool]:
    """Hold the lease for the block (yield True), or yield False: someone else has it."""
    key = {key_attribute: {"S": KEY}}
    holder = uuid.uuid4().hex
    now = int(time.time())
    with translated(f"taking the migration lease in {table}"):
        try:
            client.put_item(
                TableName=table,
                Item={**key, "Holder": {"S": holder}, expiry_attribute: {"N": str(now + SECONDS)}},
                ConditionExpression="attribute_not_exists(Holder) OR #expires < :now",
                ExpressionAttributeNames={"#expires": expiry_attribute},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
            taken = True
        except ClientError as err:
            if error_code(err) != "ConditionalCheckFailedException":
                raise
            taken = False
    try:
        yield taken
    finally:
        if taken:
            _release(client, table, key, holder)


def _release(client: Any, table: str, key: dict[str, Any], holder: str) -> None:
    with translated(f"releasing the migration lease in {table}"):
        try:
            client.delete_item(
                TableName=table,
                Key=key,
                ConditionExpression="Holder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
        except ClientError as err:
            if error_code(err) != "ConditionalCheckFailedException":
                raise  # else: its time ran out and someone else holds it now
