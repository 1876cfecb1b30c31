"""A response parser for the DynamoDB client that hands over DynamoDB's JSON as it came.

botocore's JSONParser walks the service model for every attribute value of an answer, and
for a 25-item Query that walk costs several times the `json.loads` underneath it. The item
operations' answers need none of it: their attribute values are already in the shape the
stores read ({"S": ...}, {"N": ...}, {"L": [...]}, ...), and their other members are plain
numbers and strings. So for those operations (ITEM_ANSWERS) the parser returns the decoded
body itself, turning only binary values into bytes as botocore does. Every other answer,
and every error (ClientError's code and message, a condition failure's Item, a cancelled
transaction's CancellationReasons), goes through botocore's own parser unchanged.

tests/adapters/test_dynamodb_json.py replays every call shape the app makes through both
parsers, on moto and on DynamoDB Local, and requires the same results.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from botocore.parsers import JSONParser, ResponseParserFactory

# The output shapes of the item operations: attribute values, numbers and strings only (no
# timestamp or blob outside an attribute value, which would need botocore's conversion).
ITEM_ANSWERS = frozenset(
    {
        "GetItemOutput",
        "PutItemOutput",
        "UpdateItemOutput",
        "DeleteItemOutput",
        "QueryOutput",
        "ScanOutput",
        "BatchGetItemOutput",
        "BatchWriteItemOutput",
        "TransactGetItemsOutput",
        "TransactWriteItemsOutput",
    }
)


# A binary value's type tag as DynamoDB writes it ({"B":"...") or as moto does ({"B": "...").
_BINARY = re.compile(rb'"BS?"\s*:\s*[\["]')


# botocore's own body handler, for the answers that are not short-cut. (Reached through the
# class's namespace: botocore's type stubs declare only the parsers' public method, parse.)
_BOTOCORES: Any = vars(JSONParser)["_handle_json_body"]


class AsSentParser(JSONParser):
    """botocore's JSON parser, but an item operation's answer is DynamoDB's JSON as sent."""

    def _handle_json_body(self, raw_body: bytes, shape: Any) -> Any:
        if shape is None or shape.name not in ITEM_ANSWERS or not raw_body:
            return _BOTOCORES(self, raw_body, shape)
        try:
            answer = json.loads(raw_body)
        except ValueError:  # not JSON after all: botocore's way (the body as the message)
            return _BOTOCORES(self, raw_body, shape)
        # Binary values arrive in base64 and botocore hands them over as bytes; an answer
        # without the tag has none, and most answers have none, so most skip the walk.
        return with_bytes(answer) if _BINARY.search(raw_body) else answer


class AsSentParsers(ResponseParserFactory):
    """The parser factory for the DynamoDB client's session: AsSentParser for its protocol.

    botocore asks the factory for a parser on every answer; the parser keeps no state between
    answers, so one is made (at the first answer) and handed out each time.
    """

    def __init__(self) -> None:
        super().__init__()
        self._options: dict[str, Any] = {}
        self._json: AsSentParser | None = None

    def set_parser_defaults(self, **kwargs: Any) -> None:
        super().set_parser_defaults(**kwargs)
        self._options.update(kwargs)
        self._json = None  # made again, with them

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name != "json":
            return super().create_parser(protocol_name)
        if self._json is None:
            self._json = AsSentParser(**self._options)
        return self._json


def with_bytes(node: Any) -> Any:
    """Return `node` with every binary attribute value ({"B": ...}, {"BS": [...]}) decoded."""
    if isinstance(node, list):
        return [with_bytes(v) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        # An attribute value has one key, its type, and a binary one a string (or a list of
        # strings) under it. An item or a map whose one attribute is named B holds a dict.
        ((kind, value),) = node.items()
        if kind == "B" and isinstance(value, str):
            return {"B": base64.b64decode(value)}
        if kind == "BS" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return {"BS": [base64.b64decode(v) for v in value]}
    return {k: with_bytes(v) for k, v in node.items()}
