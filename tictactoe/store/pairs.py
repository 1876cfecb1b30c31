"""A pair of players' rated finishes: the Users table's pair item, written with each rated game.

Item layout, one per pair that finished a rated game in the last day:
  UserKey      "pair#<a>#<b>", the two lower-cased names in order ('#' is never in a name,
               so a pair item is never an account, a claim or a throttle counter)
  S1 .. Sn     epoch seconds of the pair's last RATED_PER_PAIR rated finishes, oldest first
               (0 for a slot not yet used)
  ExpiresAt    the newest finish plus the window: by then no slot counts, and TTL deletes it

The write that finishes a rated game (results.py) updates this item in the same transaction,
on condition that the oldest slot is free or older than the window, and shifts the slots. Of
two games of a pair finishing at once when RATED_PER_PAIR - 1 have counted, the transaction
lets only one through; the other is cancelled on this item and finishes unrated.
"""

from __future__ import annotations

from typing import Any

from tictactoe.rules.ratings import PAIR_WINDOW_SECONDS, RATED_PER_PAIR
from tictactoe.store.items import s
from tictactoe.store.schema import TTL_ATTRIBUTE

PAIR = "pair#"


def pair_key(one: str, other: str) -> str:
    """Return the UserKey of the pair item of two players (either order, any letter case)."""
    return PAIR + "#".join(sorted((one.lower(), other.lower())))


def counting(table: str, one: str, other: str, moment: float) -> dict[str, Any]:
    """Return the transaction's update that counts one more rated finish of the pair at `moment`.

    Its condition fails when the pair already has RATED_PER_PAIR finishes in the window.
    """
    slots = [f"S{i}" for i in range(1, RATED_PER_PAIR + 1)]
    shifts = [f"{a} = if_not_exists({b}, :zero)" for a, b in zip(slots, slots[1:], strict=False)]
    at = int(moment)
    return {
        "Update": {
            "TableName": table,
            "Key": {"UserKey": s(pair_key(one, other))},
            "ConditionExpression": f"attribute_not_exists({slots[0]}) OR {slots[0]} <= :cutoff",
            "UpdateExpression": "SET " + ", ".join([*shifts, f"{slots[-1]} = :at", "#ttl = :ttl"]),
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":zero": {"N": "0"},
                ":at": {"N": str(at)},
                ":cutoff": {"N": str(at - PAIR_WINDOW_SECONDS)},
                ":ttl": {"N": str(at + PAIR_WINDOW_SECONDS)},
            },
        }
    }
