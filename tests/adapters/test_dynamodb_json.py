"""The DynamoDB client's as-sent parser gives the stores exactly what botocore's parser gives.

Every answer of the client, on moto and on DynamoDB Local, is parsed twice, by botocore's
JSONParser and by AsSentParser (tictactoe/adapters/dynamodb_json.py), and the two results
must be equal; the client goes on with the as-sent one, so the app and the stores run on it.
First the whole app, driven through its API (every table and index, batch reads, the
transactions, conditional failures with ReturnValuesOnConditionCheckFailure, errors); then the
shapes the app does not make every day: binary attributes, batch writes, a cancelled
transaction's reasons, a missing table, a bad expression.
"""

from __future__ import annotations

import copy
import io
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import JSONParser, ResponseParserFactory
from PIL import Image

from tests.conftest import unique
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe import create_app
from tictactoe.adapters import clients
from tictactoe.adapters.dynamodb_json import AsSentParser
from tictactoe.config import Settings
from tictactoe.services.backend import build
from tictactoe.store import ensure_tables

# What the app's stores call, each of which must be seen in the app's flows below.
APP_OPERATIONS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "BatchGetItem",
    "TransactWriteItems",
}


class Twin(ResponseParserFactory):
    """Parse every answer with both parsers; keep both results; hand on the as-sent one."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[tuple[str, str, Any, Any]] = []  # operation, shape, botocore, ours

    def create_parser(self, protocol_name: str) -> Any:
        assert protocol_name == "json"
        return _TwinParser(self.answers)


class _TwinParser:
    def __init__(self, answers: list[tuple[str, str, Any, Any]]) -> None:
        self.answers = answers

    def parse(self, response: dict[str, Any], shape: Any) -> Any:
        theirs = JSONParser().parse(response, shape)
        ours = AsSentParser().parse(response, shape)
        operation = response.get("context", {}).get("operation_name", "?")
        # A copy: the client adds to the answer it is handed (RetryAttempts, error fields).
        self.answers.append((operation, shape.name if shape else "", theirs, copy.deepcopy(ours)))
        return ours


@pytest.fixture
def twin(monkeypatch: pytest.MonkeyPatch) -> Twin:
    """Every DynamoDB client built from now on parses through one Twin."""
    parsers, dynamodb = Twin(), clients.dynamodb
    monkeypatch.setattr(clients, "dynamodb", lambda settings: dynamodb(settings, parsers))
    return parsers


def differing(twin: Twin) -> list[tuple[str, str]]:
    return [(op, shape) for op, shape, theirs, ours in twin.answers if theirs != ours]


def operations(twin: Twin) -> set[str]:
    return {op for op, _, _, _ in twin.answers}


def errors(twin: Twin) -> set[str]:
    return {theirs["Error"]["Code"] for _, _, theirs, _ in twin.answers if "Error" in theirs}


def test_the_whole_app_reads_the_same_answers_through_either_parser(
    twin: Twin, settings: Settings
) -> None:
    app = create_app(settings)
    app.config["TESTING"] = True
    host, guest, third = (_player(app, name) for name in ("ann", "bob", "cyd"))

    game = guest.accept(host.invite(guest))
    wins = [(0, guest), (3, host), (1, guest), (4, host)]
    for cell, who in wins:
        assert who.move(game, cell).status_code == 200
    stale = host.call("POST", f"/api/games/{game['id']}/moves", {"cell": 8})  # not their turn
    assert stale.status_code == 409
    assert guest.move(game, 2).get_json()["winner"] == guest.name  # the finishing transaction
    assert guest.call("POST", f"/api/games/{game['id']}/rematch").status_code == 201
    assert host.call("GET", "/api/games").status_code == 200  # the lists: index queries
    assert host.call("GET", "/api/leaderboard").status_code == 200
    assert host.call("GET", f"/api/players/{guest.name}").status_code == 200
    assert host.client.get("/").status_code == 200  # the home page: queries, a batch read

    other = third.accept(host.invite(third))
    assert host.call("POST", f"/api/games/{other['id']}/resign").status_code == 200
    declined = host.invite(third)
    assert third.call("POST", f"/api/games/{declined['id']}/reject").status_code == 204
    assert third.call("POST", f"/api/games/{declined['id']}/accept").status_code == 404  # gone

    assert host.call("POST", "/api/quick-play").status_code == 202  # waits
    assert third.call("POST", "/api/quick-play").status_code == 201  # paired
    computer = guest.call("POST", "/api/computer-games", {"level": "medium"})
    assert computer.status_code == 201
    assert guest.move(computer.get_json(), 4).status_code == 200

    assert _upload(guest, _jpeg()).status_code == 201
    assert host.call("POST", "/api/me/sessions/revoke", {"password": PASSWORD}).status_code == 204
    assert third.call("POST", "/api/logout").status_code == 204

    assert APP_OPERATIONS <= operations(twin), operations(twin)
    assert errors(twin) & {"ConditionalCheckFailedException", "TransactionCanceledException"}
    assert differing(twin) == []


def test_the_rarer_shapes_read_the_same_through_either_parser(
    twin: Twin, settings: Settings
) -> None:
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    client, table = backend.dynamodb, settings.avatars_table
    key = _key_of(client, table)
    items = [_item(key, n) for n in range(3)]

    client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items]})
    got = client.get_item(TableName=table, Key=_only(items[0], key), ConsistentRead=True)
    assert got["Item"]["Bytes"] == {"B": b"\x00\x01picture\xff"}  # bytes, as botocore gives
    assert sorted(got["Item"]["Sizes"]["BS"]) == [b"\x00", b"\xfe\xff"]
    client.batch_get_item(RequestItems={table: {"Keys": [_only(i, key) for i in items]}})
    client.scan(TableName=table, Limit=2)
    updated = client.update_item(
        TableName=table,
        Key=_only(items[1], key),
        UpdateExpression="SET Width = Width + :one, Thumb = :blob",
        ExpressionAttributeValues={":one": {"N": "1"}, ":blob": {"B": b"\x10\x20"}},
        ReturnValues="ALL_NEW",
    )
    assert updated["Attributes"]["Width"] == {"N": "321"}
    assert updated["Attributes"]["Thumb"] == {"B": b"\x10\x20"}

    with pytest.raises(ClientError) as failed:
        client.put_item(
            TableName=table,
            Item=items[2],
            ConditionExpression="attribute_not_exists(#k)",
            ExpressionAttributeNames={"#k": key},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert failed.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _only(items[0], key),
                        "ConditionExpression": "Width = :no",
                        "ExpressionAttributeValues": {":no": {"N": "-1"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {"Delete": {"TableName": table, "Key": _only(items[1], key)}},
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "CancellationReasons" in cancelled.value.response
    client.transact_write_items(
        TransactItems=[{"Delete": {"TableName": table, "Key": _only(i, key)}} for i in items]
    )
    with pytest.raises(ClientError) as missing:
        client.get_item(TableName=f"{table}-none", Key=_only(items[0], key))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as invalid:
        client.query(TableName=table, KeyConditionExpression="no such thing")
    assert invalid.value.response["Error"]["Code"] == "ValidationException"

    assert {"BatchWriteItem", "BatchGetItem", "Scan", "TransactWriteItems"} <= operations(twin)
    assert {"ConditionalCheckFailedException", "TransactionCanceledException"} <= errors(twin)
    assert differing(twin) == []


def test_binary_values_come_out_as_bytes_not_as_the_base64_on_the_wire() -> None:
    """The one conversion the as-sent parser makes; without it the stores would get text."""
    body = b'{"Item":{"p":{"B":"AAE="},"s":{"BS":["/w=="]},"m":{"M":{"B":{"S":"B"}}}}}'
    parsed = AsSentParser().parse(_answer(body), _shape("GetItemOutput"))
    assert parsed["Item"] == {
        "p": {"B": b"\x00\x01"},
        "s": {"BS": [b"\xff"]},
        "m": {"M": {"B": {"S": "B"}}},
    }


def test_only_item_operations_take_the_short_way() -> None:
    """Any other answer (timestamps, say) is botocore's to convert."""
    body = b'{"Table":{"TableName":"T","CreationDateTime":1.7e9}}'
    parsed = AsSentParser().parse(_answer(body), _shape("DescribeTableOutput"))
    assert parsed["Table"]["CreationDateTime"].year == 2023  # a datetime, as botocore gives


def _player(app: Any, prefix: str) -> ApiPlayer:
    return ApiPlayer(app.test_client(), unique(prefix)[:20]).register()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((64, 48), 60).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def _upload(who: ApiPlayer, jpeg: bytes) -> Any:
    """PUT a picture as a browser does: a multipart form with the file as "image"."""
    boundary = "----picture-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="image"; filename="me.jpg"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return who.client.put(
        "/api/me/avatar",
        data=head.encode() + jpeg + f"\r\n--{boundary}--\r\n".encode(),
        headers={"X-CSRFToken": who.token},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _key_of(client: Any, table: str) -> str:
    described = client.describe_table(TableName=table)["Table"]
    (hash_key,) = [k["AttributeName"] for k in described["KeySchema"] if k["KeyType"] == "HASH"]
    assert len(described["KeySchema"]) == 1, "a table keyed by one attribute"
    return str(hash_key)


def _item(key: str, n: int) -> dict[str, Any]:
    """An item with every type of attribute value, binary and number ones among them."""
    return {
        key: {"S": f"bench-{n}"},
        "Bytes": {"B": b"\x00\x01picture\xff"},
        "Sizes": {"BS": [b"\x00", b"\xfe\xff"]},
        "Width": {"N": "320"},
        "Ratios": {"NS": ["1.5", "-2", "1e3"]},
        "Names": {"SS": ["a", "b"]},
        "Sides": {"L": [{"N": "0.25"}, {"S": "x"}, {"B": b"\x01"}]},
        "Meta": {"M": {"B": {"S": "named B"}, "Deep": {"M": {"Z": {"B": b"\x02"}}}}},
        "Gone": {"NULL": True},
        "Kept": {"BOOL": False},
    }


def _only(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: item[key]}


def _answer(body: bytes) -> dict[str, Any]:
    return {"status_code": 200, "headers": {}, "body": body, "context": {}}


def _shape(name: str) -> Any:
    model = botocore.session.get_session().get_service_model("dynamodb")
    return model.shape_for(name)
