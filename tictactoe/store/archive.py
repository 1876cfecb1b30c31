"""The DynamoDB calls of export and import: operator-only, never on a player's path.

These run from an operator's machine with the operator's credentials (iam/operator-policy.json
lists what they need), not with the instance role: the app itself never scans a table or
lists the bucket. tests/deploy/test_operator_policy.py proves that policy both ways, as
tests/deploy/test_policy.py does the instance's.

Whether an archived item may replace the stored one is decided by the write's condition, so
two imports racing, or an import resumed after a crash, can never put an older item over a
newer one. Per table, "newer" is a number or time that only grows (see VERSIONS).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.store.errors import StoreError, error_code, refused_item, translated

# The attribute that orders two copies of one item, per table role. Games: Version, which
# every change of a game adds one to. Users: SessionEpoch, which grows when a player changes
# their password or signs out everywhere (other changes leave it alone, so an equal epoch
# with other differences is a conflict, and the table's copy stays). Avatars: UploadedAt,
# the time of the upload the record describes. An item without the attribute (invitation
# locks, name claims, throttle counters) is written only where there is none.
VERSIONS = {"games": "Version", "users": "SessionEpoch", "avatars": "UploadedAt"}


class Outcome(Enum):
    WRITTEN = "written"  # absent, or the stored copy was older
    PRESENT = "already there"  # the stored copy is the same
    NEWER = "kept the table's newer copy"
    DIFFERENT = "kept the table's copy (differs, not older)"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    consumed: float  # read units


def item_count(client: Any, table: str) -> int:
    """Return DynamoDB's estimate of a table's items (refreshed every few hours on AWS)."""
    with translated(f"describing table {table}"):
        try:
            found = client.describe_table(TableName=table)["Table"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                missing = f"there is no table {table} (is CONFIG_FILE the right one?)"
                raise StoreError(missing) from None
            raise
    return int(found.get("ItemCount", 0))


def scan(
    client: Any,
    table: str,
    segment: tuple[int, int],
    consistent: bool,
    before: Callable[[], None],
    limit: int = 1000,
) -> Iterator[Page]:
    """Yield the pages of one segment (number, of how many) of a parallel scan, with what
    each page cost; call `before` before each call (to wait for capacity)."""
    request: dict[str, Any] = {
        "TableName": table,
        "Segment": segment[0],
        "TotalSegments": segment[1],
        "ConsistentRead": consistent,
        "ReturnConsumedCapacity": "TOTAL",
        "Limit": limit,
    }
    while True:
        before()
        with translated(f"scanning table {table}"):
            page = client.scan(**request)
        items = page.get("Items", [])
        cost = page.get("ConsumedCapacity", {}).get("CapacityUnits")
        if cost is None:  # an emulator that does not say: estimate as DynamoDB bills reads
            cost = math.ceil(size_of(items) / 4096) * (1 if consistent else 0.5)
        yield Page(items, float(cost))
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def put_unless_newer(
    client: Any, table: str, key: str, version: str, item: dict[str, Any]
) -> tuple[Outcome, float]:
    """Write `item` unless the stored copy is as new or newer; return what happened and the
    write units it cost."""
    names = {"#k": key}
    condition = "attribute_not_exists(#k)"
    values: dict[str, Any] = {}
    if version in item:
        names["#v"] = version
        values[":v"] = item[version]
        condition += " OR attribute_not_exists(#v) OR #v < :v"
    with translated(f"writing an item to {table}"):
        try:
            done = client.put_item(
                TableName=table,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                **({"ExpressionAttributeValues": values} if values else {}),
                ReturnConsumedCapacity="TOTAL",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as err:
            if error_code(err) != "ConditionalCheckFailedException":
                raise
            return _refused(item, refused_item(err) or {}, version), _write_units(item)
    return Outcome.WRITTEN, float(
        done.get("ConsumedCapacity", {}).get("CapacityUnits", _write_units(item))
    )


def _refused(archived: dict[str, Any], stored: dict[str, Any], version: str) -> Outcome:
    if canonical(archived) == canonical(stored):
        return Outcome.PRESENT
    if version in archived and version in stored:
        return Outcome.NEWER if _after(stored[version], archived[version]) else Outcome.DIFFERENT
    return Outcome.DIFFERENT


def _after(stored: dict[str, str], archived: dict[str, str]) -> bool:
    if "N" in stored and "N" in archived:
        return float(stored["N"]) > float(archived["N"])
    return str(next(iter(stored.values()))) > str(next(iter(archived.values())))


def canonical(value: Any) -> Any:
    """Return a DynamoDB value with its sets sorted, so equal items compare equal."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def size_of(items: list[dict[str, Any]]) -> int:
    """Return roughly how many bytes DynamoDB bills for `items`."""
    return sum(len(json.dumps(i, default=lambda b: "x" * len(b))) for i in items)


def _write_units(item: dict[str, Any]) -> float:
    return float(max(1, math.ceil(size_of([item]) / 1024)))
