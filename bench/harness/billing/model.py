"""What AWS bills for DynamoDB calls, from item sizes: the rules, with no I/O.

Each rule names the AWS page it comes from (the Amazon DynamoDB Developer Guide):

- SIZES: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
  An item's size is the sum of its attribute names' and values' lengths: a string its UTF-8
  bytes; a number about one byte per two significant digits, plus one; a binary value its
  raw bytes; null and Boolean one byte; a list or map 3 bytes, plus one byte per element,
  plus its elements (a map's element names count as names do). A set: its elements.
- UNITS: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
  (formerly ProvisionedThroughput.html#ItemSizeCalculations). A write is one unit per 1 KB
  of item size, rounded up; a put or update counts the larger of the item before and after,
  a delete the deleted item. A read is one unit per 4 KB, rounded up, half that when
  eventually consistent. GetItem rounds its item, BatchGetItem each item apart, Query the
  total of the items it reads; reading an item that is not there still costs the minimum. A
  write whose condition fails still costs: one unit for an item that does not exist,
  otherwise by the item's size.
- TRANSACTIONS: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
  #transaction-capacity-handling: every item of a transaction is read or written twice
  (prepare, commit), so 2 units per 1 KB written, 2 per 4 KB read. Changes reach global
  secondary indexes after the transaction, as ordinary index writes: INDEX_FACTOR_IN_TRANSACTION.
- INDEXES: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html
  #GSI.ThroughputConsiderations: an index entry (the table's key, the index's key and the
  projected attributes) written costs units by its own size. An item that gains the index's
  key: one put; loses it: one delete; changes a key value: a delete and a put; changes only
  projected attributes: one write; touches none of them: nothing. A query of an index reads
  the entries' sizes, and is always eventually consistent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Item = dict[str, dict[str, Any]]  # an item in DynamoDB's typed JSON ({"S": "..."}, {"N": "1"})

WRITE_UNIT = 1024  # bytes per write unit
READ_UNIT = 4096  # bytes per read unit
TRANSACTION_FACTOR = 2
# The pages above do not say that index writes of a transaction are doubled; they say the
# change reaches the index after the commit. So we bill them as ordinary index writes.
INDEX_FACTOR_IN_TRANSACTION = 1


@dataclass(frozen=True)
class Index:
    """A global secondary index: its key attributes and what it projects."""

    name: str
    keys: tuple[str, ...]
    projection: str = "ALL"  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...] = ()

    def key_of(self, item: Item) -> Item:
        return {k: item[k] for k in self.keys}


def generic(target: str) -> str:
    """Drop the unique suffix benchmarks and tests give table names ("Games3a9f" -> "Games")."""
    table, _, index = target.partition("/")
    name = next((n for n in ("Games", "Users", "Avatars") if table.startswith(n)), table)
    return f"{name}/{index}" if index else name


def number_size(text: str) -> int:
    """Bytes of a number: one per two significant digits, plus one."""
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "")
    digits = mantissa.strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one typed value, without its attribute's name."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(x.encode()) for x in v)
    if kind == "NS":
        return sum(number_size(x) for x in v)
    if kind == "BS":
        return sum(len(x) for x in v)
    if kind == "L":
        return 3 + sum(1 + value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(x) for k, x in v.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Item | None) -> int:
    """Bytes of an item: its attributes' names and values (0 for no item)."""
    return sum(len(name.encode()) + value_size(v) for name, v in (item or {}).items())


def write_units(size: int) -> int:
    """Write units for an item of `size` bytes: 1 KB each, rounded up, at least one."""
    return max(1, math.ceil(size / WRITE_UNIT))


def read_units(size: int, consistent: bool) -> float:
    """Read units for `size` bytes read at once: 4 KB each, rounded up, at least one."""
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


def entry(item: Item | None, table: Table, index: Index) -> Item | None:
    """The index's entry for `item`, or None when the item lacks one of the index's keys."""
    if item is None or any(k not in item for k in index.keys):
        return None
    if index.projection == "ALL":
        return dict(item)
    shown = {*table.keys, *index.keys, *(index.included if index.projection == "INCLUDE" else ())}
    return {k: v for k, v in item.items() if k in shown}


def index_writes(before: Item | None, after: Item | None, table: Table, index: Index) -> int:
    """Write units the index spends when `before` becomes `after` (None: no item)."""
    old, new = entry(before, table, index), entry(after, table, index)
    if old is None and new is None:
        return 0
    if old is None or new is None:
        return write_units(item_size(old if new is None else new))
    if any(old[k] != new[k] for k in index.keys):  # the entry moves: a delete and a put
        return write_units(item_size(old)) + write_units(item_size(new))
    return write_units(item_size(new)) if old != new else 0


@dataclass(frozen=True)
class Write:
    """One item written: as it was, as it is after, and whether the write took place."""

    table: Table
    before: Item | None
    after: Item | None
    failed: bool = False  # its condition failed (or its transaction was cancelled)
    sent: Item | None = None  # the item a put sent (a failed put is billed by it too)


def write_bill(write: Write, transactional: bool = False) -> dict[str, float]:
    """Write units per table and per "table/index" for one item written."""
    factor = TRANSACTION_FACTOR if transactional else 1
    if write.failed:  # nothing changed; the table write is billed all the same
        size = max(item_size(write.before), item_size(write.sent)) if write.before else 0
        return {write.table.name: factor * write_units(size)}
    bill = {
        write.table.name: factor * write_units(max(item_size(write.before), item_size(write.after)))
    }
    index_factor = INDEX_FACTOR_IN_TRANSACTION if transactional else 1
    for index in write.table.indexes:
        units = index_writes(write.before, write.after, write.table, index)
        if units:
            bill[f"{write.table.name}/{index.name}"] = index_factor * units
    return bill


def get_bill(size: int, consistent: bool, transactional: bool = False) -> float:
    """Read units of one item read on its own (GetItem, or one key of a BatchGetItem)."""
    if transactional:
        return TRANSACTION_FACTOR * read_units(size, True)
    return read_units(size, consistent)


def query_bill(sizes: list[int], consistent: bool) -> float:
    """Read units of one Query (or Scan) page: the items it read, added up, then rounded."""
    return read_units(sum(sizes), consistent)
