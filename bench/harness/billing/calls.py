"""What a DynamoDB call touches, from its parameters: the items a write names, and the page
a Query or Scan read, to be asked again with nothing left out (bench/harness/billing/meter.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bench.harness.billing.model import Item

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_TOKEN = re.compile(r"[#:][A-Za-z0-9_]+")
Touched = list[tuple[str, Item, Item | None]]  # (table, key, the item a put sends)


def touched(call: dict[str, Any], key_of: Callable[[str, Item], Item]) -> Touched:
    """The items a write call touches: (table, key, the item sent when it is a put)."""
    operation, params = call["operation"], call["params"]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], params["Key"], None)]
    if operation == "PutItem":
        return [(params["TableName"], key_of(params["TableName"], params["Item"]), params["Item"])]
    found: Touched = []
    if operation == "TransactWriteItems":
        for action in params["TransactItems"]:
            ((kind, body),) = action.items()
            if kind == "Put":
                found.append(
                    (body["TableName"], key_of(body["TableName"], body["Item"]), body["Item"])
                )
            else:  # Update, Delete, ConditionCheck
                found.append((body["TableName"], body["Key"], None))
        return found
    for table, requests in params.get("RequestItems", {}).items():  # BatchWriteItem
        for request in requests:
            if "PutRequest" in request:
                item = request["PutRequest"]["Item"]
                found.append((table, key_of(table, item), item))
            else:
                found.append((table, request["DeleteRequest"]["Key"], None))
    return found


def page_again(params: dict[str, Any]) -> dict[str, Any]:
    """The same Query or Scan page, asked for whole items: no projection, filter or count.

    AWS bills the items a page reads (before any filter), whatever it returns; the names and
    values only the filter or projection used are dropped, since DynamoDB refuses unused ones.
    """
    kept = (
        "TableName",
        "IndexName",
        "KeyConditionExpression",
        "ExclusiveStartKey",
        "Limit",
        "ScanIndexForward",
        "ConsistentRead",
        "Segment",
        "TotalSegments",
    )
    again = {k: params[k] for k in kept if k in params}
    used = set(_TOKEN.findall(params.get("KeyConditionExpression", "")))
    for part in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        chosen = {k: v for k, v in params.get(part, {}).items() if k in used}
        if chosen:
            again[part] = chosen
    again["Select"] = "ALL_PROJECTED_ATTRIBUTES" if "IndexName" in params else "ALL_ATTRIBUTES"
    return again
