"""A table design: where its item shapes and indexes differ from today's (measure.py).

Today's tables come from tictactoe/store/schema.py; a design changes which attribute each game
index sorts on and projects, adds a sparse inbox index, buckets the ladder's Rank, or counts
the result outside the finishing transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from tictactoe.config import Settings
from tictactoe.rules import ratings
from tictactoe.store.schema import HOST_INDEX, OPPONENT_INDEX, definitions

LIVE = "LIVE_"  # the host's key from the invite on: 'L' > 'F', so it reads before FINISHED_
INBOX_INDEX = "OpponentId-InvitedDate-index"
EXPIRY = 7 * 24 * 3600  # the default invitation_expiry_seconds
PAGE = 40  # index entries a home query reads (store/lists.py)
PASSWORD_HASH = "scrypt:32768:8:1$" + "s" * 16 + "$" + "0" * 128  # werkzeug's length


@dataclass(frozen=True)
class Design:
    """Where a table design differs from today's schema (tictactoe/store/schema.py)."""

    key: str
    title: str
    host_stays: bool = False  # host index on HostDate = LIVE_<created> until the finish
    host_status: bool = False  # ... projecting Status (the accept rewrites the entry in place)
    inbox: bool = False  # invitations in a sparse inbox; the opponent's entry from the accept
    stable: bool = False  # index entries keep their key at the finish (with host_stays, inbox)
    bucket: int = 0  # ladder Rank = rating // bucket (0: exact, rating then wins)
    transaction: bool = True  # the finish counts the result in the same transaction
    ratings: tuple[float, float] | None = None  # host's, opponent's before (None: history's)

    @property
    def host_index(self) -> tuple[str, str]:
        if self.host_stays:
            return "HostId-HostDate-index", "HostDate"
        return HOST_INDEX, "StatusDate"

    @property
    def opponent_index(self) -> tuple[str, str]:
        if self.inbox:
            return "OpponentId-OpponentDate-index", "OpponentDate"
        return OPPONENT_INDEX, "StatusDate"

    def rank(self, rating: float, wins: int) -> int:
        return int(rating // self.bucket) if self.bucket else ratings.rank(rating, wins)


def tables(design: Design, games: str, users: str) -> list[dict[str, Any]]:
    """CreateTable arguments of the design's Games and Users tables (today's, changed)."""
    today = definitions(Settings(region="us-west-2", games_table=games, users_table=users))
    games_table, users_table = copy.deepcopy(today[:2])
    # The designs reshape the two players' indexes; any other (the live games') stays as it is.
    named = {i["IndexName"]: i for i in games_table["GlobalSecondaryIndexes"]}
    host, opponent = named[HOST_INDEX], named[OPPONENT_INDEX]
    _rekey(host, *design.host_index, ["Status"] if design.host_status else [])
    _rekey(opponent, *design.opponent_index, [])
    if design.inbox:
        inbox = copy.deepcopy(opponent)
        _rekey(inbox, INBOX_INDEX, "InvitedDate", [])
        games_table["GlobalSecondaryIndexes"].append(inbox)
    used = {
        k["AttributeName"] for i in games_table["GlobalSecondaryIndexes"] for k in i["KeySchema"]
    } | {"GameId"}
    games_table["AttributeDefinitions"] = [
        {"AttributeName": a, "AttributeType": "S"} for a in sorted(used)
    ]
    return [games_table, users_table]


def _rekey(index: dict[str, Any], name: str, sort: str, extra: list[str]) -> None:
    index["IndexName"] = name
    index["KeySchema"][1]["AttributeName"] = sort
    index["Projection"]["NonKeyAttributes"] += extra


def account(name: str, created: str) -> dict[str, Any]:
    """A Users item as sign-up writes it (store/users.py), with a hash of werkzeug's length."""
    return {
        "UserKey": {"S": name.lower()},
        "Name": {"S": name},
        "PasswordHash": {"S": PASSWORD_HASH},
        "CreatedAt": {"S": created},
        "SessionEpoch": {"N": "0"},
        "Skeleton": {"S": name},
    }
