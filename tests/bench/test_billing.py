"""The AWS bill model (bench/billing.py) on hand-worked examples, and the meter on real calls.

The examples are worked by hand from AWS's rules (the pages bench/billing.py cites); several
are AWS's own (a BatchGetItem of 1.5 KB and 6.5 KB items, a 40.8 KB query, an index query of
8 entries of 2,000 bytes). The meter's tests make real calls on moto and check what the
bill says they cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bench.harness.billing.meter import Biller
from bench.harness.billing.model import (
    Index,
    Table,
    Write,
    entry,
    get_bill,
    item_size,
    number_size,
    query_bill,
    value_size,
    write_bill,
)


def s(text: str) -> dict[str, str]:
    return {"S": text}


HOST = Index("Host", ("HostId", "StatusDate"), "INCLUDE", ("OpponentId", "HostPicture"))
OPPONENT = Index("Opponent", ("OpponentId", "StatusDate"), "INCLUDE", ("HostId", "HostPicture"))
GAMES = Table("Games", ("GameId",), (HOST, OPPONENT))
PLAIN = Table("Plain", ("Id",))


def game(status: str, **more: dict[str, Any]) -> dict[str, Any]:
    return {
        "GameId": s("g1"),
        "HostId": s("ann"),
        "OpponentId": s("bob"),
        "StatusDate": s(status),
        "Board": s("X   O    "),
        **more,
    }


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (s("abc"), 3),
        (s("é"), 2),  # UTF-8 bytes, not characters
        ({"N": "12345"}, 4),  # 5 significant digits: 3 bytes, plus 1
        ({"N": "0.0012"}, 2),  # leading zeroes trimmed: "12"
        ({"N": "-100"}, 2),  # trailing zeroes trimmed: "1"
        ({"N": "1.5E+3"}, 2),
        ({"B": b"\x00\x01\x02"}, 3),  # raw bytes, not base64
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"L": [{"N": "1"}, s("ab")]}, 3 + (1 + 2) + (1 + 2)),
        ({"M": {"k": s("v")}}, 3 + 1 + 1 + 1),  # overhead, element byte, name, value
        ({"L": []}, 3),
        ({"SS": ["a", "bc"]}, 3),
    ],
)
def test_value_sizes_follow_aws_rules(value: dict[str, Any], size: int) -> None:
    assert value_size(value) == size


def test_an_item_counts_its_attribute_names() -> None:
    assert item_size({"Name": s("ann"), "Wins": {"N": "12"}}) == 4 + 3 + 4 + 2
    assert item_size(None) == 0
    assert number_size("0") == 2


def test_a_put_of_a_one_and_a_half_kb_item_is_two_units() -> None:
    item = {"Id": s("g1"), "Board": s("x" * 1520)}
    assert item_size(item) == 1529
    assert write_bill(Write(PLAIN, None, item)) == {"Plain": 2}


@pytest.mark.parametrize(("size", "units"), [(500, 1), (1024, 1), (1025, 2), (1638, 2)])
def test_writes_are_rounded_up_to_the_next_kb(size: int, units: int) -> None:
    item = {"Id": s("x" * (size - 2))}  # "Id" and the value
    assert item_size(item) == size
    assert write_bill(Write(PLAIN, None, item))["Plain"] == units


def test_an_update_bills_the_larger_of_before_and_after() -> None:
    big, small = {"Id": s("a"), "Text": s("x" * 2500)}, {"Id": s("a"), "Text": s("x")}
    assert write_bill(Write(PLAIN, big, small)) == {"Plain": 3}
    assert write_bill(Write(PLAIN, small, big)) == {"Plain": 3}


def test_a_transaction_of_three_small_items_is_six_units() -> None:
    items = [{"Id": s(name)} for name in ("a", "b", "c")]
    assert sum(write_bill(Write(PLAIN, None, i), transactional=True)["Plain"] for i in items) == 6


def test_an_update_that_moves_the_key_in_two_indexes_is_one_plus_four() -> None:
    bill = write_bill(Write(GAMES, game("INVITED_1"), game("OPEN_1")))
    assert bill == {"Games": 1, "Games/Host": 2, "Games/Opponent": 2}  # a delete and a put each


def test_an_update_of_a_projected_attribute_writes_each_index_once() -> None:
    bill = write_bill(Write(GAMES, game("OPEN_1"), game("OPEN_1", HostPicture=s("ab12"))))
    assert bill == {"Games": 1, "Games/Host": 1, "Games/Opponent": 1}


def test_an_update_that_leaves_keys_and_projection_alone_writes_no_index() -> None:
    after = game("OPEN_1") | {"Board": s("X   O   X")}  # a move: Board is not projected
    assert write_bill(Write(GAMES, game("OPEN_1"), after)) == {"Games": 1}


def test_new_and_deleted_items_put_and_delete_their_index_entries() -> None:
    assert write_bill(Write(GAMES, None, game("OPEN_1"))) == {
        "Games": 1,
        "Games/Host": 1,
        "Games/Opponent": 1,
    }
    assert write_bill(Write(GAMES, game("OPEN_1"), None)) == {
        "Games": 1,
        "Games/Host": 1,
        "Games/Opponent": 1,
    }
    no_opponent = {k: v for k, v in game("OPEN_1").items() if k != "OpponentId"}
    assert write_bill(Write(GAMES, None, no_opponent)) == {"Games": 1, "Games/Host": 1}


def test_index_writes_in_a_transaction_are_not_doubled() -> None:
    bill = write_bill(Write(GAMES, game("OPEN_1"), game("FINISHED_1")), transactional=True)
    assert bill == {"Games": 2, "Games/Host": 2, "Games/Opponent": 2}


def test_a_failed_conditional_write_still_costs_the_write() -> None:
    assert write_bill(Write(GAMES, None, None, failed=True, sent=game("OPEN_1"))) == {"Games": 1}
    existing = game("OPEN_1", Moves=s("x" * 2500))
    assert write_bill(Write(GAMES, existing, existing, failed=True)) == {"Games": 3}


def test_an_index_entry_holds_the_keys_and_the_projected_attributes_only() -> None:
    found = entry(game("OPEN_1", HostPicture=s("ab")), GAMES, HOST)
    assert found is not None and set(found) == {
        "GameId",
        "HostId",
        "StatusDate",
        "OpponentId",
        "HostPicture",
    }
    assert entry({"GameId": s("g2"), "HostId": s("ann")}, GAMES, HOST) is None


@pytest.mark.parametrize(
    ("kb", "consistent", "units"),
    [(5, False, 1.0), (5, True, 2.0), (4, False, 0.5), (0, False, 0.5)],
)
def test_a_get_rounds_its_item_to_4_kb(kb: int, consistent: bool, units: float) -> None:
    assert get_bill(kb * 1024, consistent) == units  # 0 KB: no item, still the minimum


def test_a_transactional_read_is_twice_a_strong_one() -> None:
    assert get_bill(5 * 1024, False, transactional=True) == 4.0


def test_a_batch_get_rounds_each_item_apart() -> None:
    # AWS's example: 1.5 KB and 6.5 KB make 12 KB (4 + 8), not 8.
    assert get_bill(1536, True) + get_bill(6656, True) == 3.0


def test_a_query_rounds_the_total_of_what_it_read() -> None:
    assert query_bill([4178] * 10, True) == 11.0  # AWS's example: 40.8 KB -> 44 KB
    assert query_bill([2000] * 8, False) == 2.0  # AWS's index example: 16,000 bytes, eventual
    assert query_bill([], False) == 0.5  # a query that finds nothing still costs the minimum


# -- the meter, on real calls (moto) ---------------------------------------------------------


@pytest.fixture
def meter() -> Iterator[tuple[Any, Biller]]:
    with mock_aws():
        app = boto3.client("dynamodb", region_name="us-west-2")
        index = lambda name, key, other: {  # noqa: E731
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": key, "KeyType": "HASH"},
                {"AttributeName": "StatusDate", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [other, "HostPicture"]},
        }
        app.create_table(
            TableName="Games",
            KeySchema=[{"AttributeName": "GameId", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": "S"}
                for n in ("GameId", "HostId", "OpponentId", "StatusDate")
            ],
            GlobalSecondaryIndexes=[
                index("Host", "HostId", "OpponentId"),
                index("Opponent", "OpponentId", "HostId"),
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        reader = boto3.client("dynamodb", region_name="us-west-2")
        yield app, Biller.install(app, reader, lambda: "test")


def billed(biller: Biller) -> dict[str, float]:
    used = biller.snapshot()
    return {"rcu": used["total"]["rcu"], "wcu": used["total"]["wcu"]}


def test_the_meter_bills_a_put_and_an_update_that_moves_both_index_entries(
    meter: tuple[Any, Biller],
) -> None:
    app, biller = meter
    app.put_item(TableName="Games", Item=game("INVITED_1", Moves=s("x" * 1500)))
    assert biller.snapshot()["by_target"] == {
        "Games": {"calls": 1, "rcu": 0.0, "wcu": 2, "cost": 10},
        "Games/Host": {"calls": 1, "rcu": 0.0, "wcu": 1, "cost": 5},
        "Games/Opponent": {"calls": 1, "rcu": 0.0, "wcu": 1, "cost": 5},
    }
    biller.reset()
    app.update_item(
        TableName="Games",
        Key={"GameId": s("g1")},
        UpdateExpression="SET StatusDate = :open REMOVE Moves",
        ExpressionAttributeValues={":open": s("OPEN_1")},
    )
    assert billed(biller) == {"rcu": 0.0, "wcu": 2 + 2 + 2}  # the larger size: before


def test_the_meter_bills_a_failed_conditional_put_of_a_new_item_one_unit(
    meter: tuple[Any, Biller],
) -> None:
    app, biller = meter
    app.put_item(TableName="Games", Item={"GameId": s("g9")})
    biller.reset()
    with pytest.raises(ClientError):
        app.put_item(
            TableName="Games",
            Item={"GameId": s("g9"), "Board": s("x" * 3000)},
            ConditionExpression="attribute_not_exists(GameId)",
        )
    assert billed(biller) == {"rcu": 0.0, "wcu": 3}  # billed by the item it sent
    biller.reset()
    with pytest.raises(ClientError):
        app.update_item(
            TableName="Games",
            Key={"GameId": s("nothing")},
            UpdateExpression="SET Board = :b",
            ConditionExpression="attribute_exists(GameId)",
            ExpressionAttributeValues={":b": s("x")},
        )
    assert billed(biller) == {"rcu": 0.0, "wcu": 1}


def test_the_meter_bills_whole_items_whatever_a_read_asks_to_see(
    meter: tuple[Any, Biller],
) -> None:
    app, biller = meter
    app.put_item(TableName="Games", Item=game("OPEN_1", Moves=s("x" * 5000)))
    biller.reset()
    app.get_item(TableName="Games", Key={"GameId": s("g1")}, ProjectionExpression="Board")
    app.get_item(TableName="Games", Key={"GameId": s("none")}, ConsistentRead=True)
    assert billed(biller) == {"rcu": 1.0 + 1.0, "wcu": 0.0}  # 5 KB eventual; nothing, strong
    biller.reset()
    app.query(
        TableName="Games",
        IndexName="Host",
        KeyConditionExpression="HostId = :h",
        FilterExpression="OpponentId = :nobody",
        Select="COUNT",
        ExpressionAttributeValues={":h": s("ann"), ":nobody": s("zed")},
    )
    assert biller.snapshot()["by_target"]["Games/Host"]["rcu"] == 0.5  # the entry, not the item
