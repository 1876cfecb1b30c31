"""The AWS bill of an app's DynamoDB calls as they happen, from botocore's events on its client.

`Biller.install(client, reader, kind)` hooks three events of the app's client. Before its
parameters are built (`before-parameter-build`) it keeps the call's parameters; just before
the call is sent (`before-call`) it reads every item a write will touch, and when the answer
comes (`after-call`) it reads them again, so each write is billed by its item before and
after (model.py). A read is billed by the whole items it reads, as AWS bills it
whatever the call asks to see: the items a GetItem or BatchGetItem names, read again; the
entries a Query read, by asking the same page again (key condition, start key, limit) with
no projection or filter. Those reads go through `reader`, another client on the same
DynamoDB, strongly consistent, so neither the app's own capacity hook nor this bill sees
them. The tables' keys, indexes and projections come from DescribeTable, once per table.

It reads items around every call, so it is for measuring one request at a time (the
in-process capacity scenarios), never for timed runs.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.harness.billing.calls import WRITES, page_again, touched
from bench.harness.billing.model import (
    Index,
    Item,
    Table,
    Write,
    generic,
    get_bill,
    item_size,
    query_bill,
    write_bill,
)

_KEY = "bench.billing"


class Biller:
    """AWS-billed units since the last reset, by request type and by table/index."""

    def __init__(self, reader: Any, kind: Callable[[], str]) -> None:
        self.reader, self.kind = reader, kind
        self._tables: dict[str, Table] = {}
        self._lock = threading.Lock()
        self.by_type: dict[str, dict[str, float]] = defaultdict(_usage)
        self.by_target: dict[str, dict[str, float]] = defaultdict(_usage)

    @classmethod
    def install(cls, client: Any, reader: Any, kind: Callable[[], str]) -> Biller:
        """Bill the calls of `client` from now on, reading items through `reader`."""
        biller = cls(reader, kind)
        events = client.meta.events
        events.register("before-parameter-build.dynamodb", biller._params)
        events.register("before-call.dynamodb", biller._before)
        events.register("after-call.dynamodb", biller._after)
        return biller

    def reset(self) -> None:
        with self._lock:
            self.by_type.clear()
            self.by_target.clear()

    def snapshot(self) -> dict[str, Any]:
        """Totals (requests only, as the Recorder's), per request type, per table/index."""
        with self._lock:
            total = _usage()
            for kind, used in self.by_type.items():
                if kind != "outside":
                    for k in total:
                        total[k] += used[k]
            return {
                "total": _costed(total),
                "by_type": {k: _costed(v) for k, v in sorted(self.by_type.items())},
                "by_target": {k: _costed(v) for k, v in sorted(self.by_target.items())},
            }

    # -- botocore's events ------------------------------------------------------------------

    def _params(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        context[_KEY] = {"operation": model.name, "params": params}

    def _before(self, context: dict[str, Any], **_: Any) -> None:
        call = context.get(_KEY)
        if call and call["operation"] in WRITES:
            call["touched"] = touched(call, self.key_of)
            call["before"] = [self._item(t, key) for t, key, _ in call["touched"]]

    def _after(
        self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        call = context.pop(_KEY, None)
        if call is None:
            return
        code = parsed.get("Error", {}).get("Code") if http_response.status_code >= 300 else None
        bill = self._bill(call, code)
        if bill is None:
            return
        kind, is_write = self.kind(), call["operation"] in WRITES
        with self._lock:
            self.by_type[kind]["calls"] += 1
            for target, units in bill.items():
                part = "wcu" if is_write else "rcu"
                self.by_type[kind][part] += units
                self.by_target[generic(target)][part] += units
                self.by_target[generic(target)]["calls"] += 1

    # -- billing ----------------------------------------------------------------------------

    def _bill(self, call: dict[str, Any], code: str | None) -> dict[str, float] | None:
        operation, params = call["operation"], call["params"]
        if operation in WRITES:
            failed = code in ("ConditionalCheckFailedException", "TransactionCanceledException")
            if code and not failed:
                return None  # refused before any item was read or written: not billed
            return self._bill_writes(call, failed)
        if code:
            return None
        if operation == "GetItem":
            item = self._item(params["TableName"], params["Key"])
            return {params["TableName"]: get_bill(item_size(item), _consistent(params))}
        if operation in ("BatchGetItem", "TransactGetItems"):
            return self._bill_gets(operation, params)
        if operation in ("Query", "Scan"):
            target = params["TableName"] + (
                f"/{params['IndexName']}" if "IndexName" in params else ""
            )
            return {target: query_bill(self._page_sizes(operation, params), _consistent(params))}
        return None

    def _bill_writes(self, call: dict[str, Any], failed: bool) -> dict[str, float]:
        transactional = call["operation"] == "TransactWriteItems"
        bill: dict[str, float] = defaultdict(float)
        for (table, key, sent), before in zip(call["touched"], call["before"], strict=True):
            after = before if failed else self._item(table, key)
            write = Write(self.table(table), before, after, failed, sent)
            for target, units in write_bill(write, transactional).items():
                bill[target] += units
        return bill

    def _bill_gets(self, operation: str, params: dict[str, Any]) -> dict[str, float]:
        bill: dict[str, float] = defaultdict(float)
        if operation == "TransactGetItems":
            for action in params["TransactItems"]:
                get = action["Get"]
                size = item_size(self._item(get["TableName"], get["Key"]))
                bill[get["TableName"]] += get_bill(size, True, transactional=True)
            return bill
        for table, wanted in params["RequestItems"].items():
            for key in wanted["Keys"]:
                size = item_size(self._item(table, key))
                bill[table] += get_bill(size, bool(wanted.get("ConsistentRead")))
        return bill

    def _page_sizes(self, operation: str, params: dict[str, Any]) -> list[int]:
        """Sizes of the items (or index entries) the call read: the same page, asked again."""
        again = page_again(params)
        page = getattr(self.reader, "query" if operation == "Query" else "scan")(**again)
        return [item_size(item) for item in page.get("Items", [])]

    def _item(self, table: str, key: Item) -> Item | None:
        found: Item | None = self.reader.get_item(
            TableName=table, Key=key, ConsistentRead=True
        ).get("Item")
        return found

    def table(self, name: str) -> Table:
        """The table's keys and indexes, from DescribeTable (once per table)."""
        if name not in self._tables:
            found = self.reader.describe_table(TableName=name)["Table"]
            indexes = tuple(
                Index(
                    i["IndexName"],
                    tuple(k["AttributeName"] for k in i["KeySchema"]),
                    i["Projection"]["ProjectionType"],
                    tuple(i["Projection"].get("NonKeyAttributes", ())),
                )
                for i in found.get("GlobalSecondaryIndexes", [])
            )
            keys = tuple(k["AttributeName"] for k in found["KeySchema"])
            self._tables[name] = Table(name, keys, indexes)
        return self._tables[name]

    def key_of(self, table: str, item: Item) -> Item:
        return self.table(table).key_of(item)


def reader_for(client: Any) -> Any:
    """Another client on the same DynamoDB as `client` (local: any key will do)."""
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=client.meta.endpoint_url,
        region_name=client.meta.region_name,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _consistent(params: dict[str, Any]) -> bool:
    return bool(params.get("ConsistentRead"))


def _usage() -> dict[str, float]:
    return {"calls": 0, "rcu": 0.0, "wcu": 0.0}


def _costed(used: dict[str, float]) -> dict[str, float]:
    return {**used, "cost": 5 * used["wcu"] + used["rcu"]}
