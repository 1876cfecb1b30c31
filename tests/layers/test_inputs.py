"""Every route x every kind of malformed request: a clear 4xx, never a 500, and nothing changed.

The routes come from the app's own URL map, so a route added later is covered without
editing this table. Each refused request must leave every table and bucket as it was, and no
NUL or over-long value may reach DynamoDB or S3. API answers are checked against the OpenAPI
document by the test client.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from moto import mock_aws

from tests.conftest import make_settings
from tests.support.aws_calls import Recorder, recording
from tests.support.openapi import CheckedClient
from tests.support.players import ApiPlayer
from tictactoe import create_app, web
from tictactoe.web import pictures as images
from tictactoe.web.layers.inputs import MAX_DEPTH, MAX_TEXT

LONG = "a" * (MAX_TEXT + 1)
FIELDS = ("username", "password", "opponent", "cell", "state", "csrf_token")
WRITES = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "PutObject",
    "DeleteObject",
    "DeleteObjects",
    "CreateMultipartUpload",
}


def _routes() -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) for every route but static files, from a bare app's URL map."""
    app = Flask("tictactoe")
    CSRFProtect(app)
    web.register(app)
    return sorted(
        (method, rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    )


ROUTES = _routes()
WITH_BODY = [r for r in ROUTES if r[0] in ("POST", "PUT", "PATCH", "DELETE")]
GETS = [r for r in ROUTES if r[0] == "GET"]
RULES = sorted({(rule, endpoint) for _, rule, endpoint in ROUTES})


NAMELESS = b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n"


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _every_field(value: Any) -> dict[str, Any]:
    return {name: value for name in FIELDS}


# name -> (body, Content-Type, status under /api, status on the pages; None: not malformed there)
BODIES: dict[str, tuple[bytes, str, int, int | None]] = {
    "deeply nested arrays": (b"[" * 5000, "application/json", 400, 415),
    "deeply nested objects": (b'{"a":' * 5000, "application/json", 400, 415),
    "nested past the limit": (
        b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}",
        "application/json",
        400,
        415,
    ),
    "not UTF-8": (b'{"username": "\xff\xfe"}', "application/json", 400, 415),
    "not JSON": (b"{username: 1", "application/json", 400, 415),
    "NaN": (b'{"cell": NaN}', "application/json", 400, 415),
    "a JSON array": (b"[1, 2, 3]", "application/json", 400, 415),
    "a JSON string": (b'"cell"', "application/json", 400, 415),
    "NUL in every field": (_json(_every_field("ab\x00cd")), "application/json", 400, 415),
    "a lone surrogate": (
        b'{"username": "\\ud800", "password": "\\udfff12345678"}',
        "application/json",
        400,
        415,
    ),
    "a very long field": (_json(_every_field(LONG)), "application/json", 400, 415),
    "a very long field name": (_json({LONG: 1}), "application/json", 400, 415),
    "JSON sent as text": (_json({"cell": 4}), "text/plain", 415, 415),
    "a form under /api": (
        b"username=ab&password=12345678",
        "application/x-www-form-urlencoded",
        415,
        None,
    ),
    "a form with NUL": (
        b"username=a%00b&opponent=a%00b&cell=%00&password=x%00",
        "application/x-www-form-urlencoded",
        415,
        400,
    ),
    "a form not in UTF-8": (
        b"username=%ff%fe&opponent=%ff&cell=%ff&password=%ff%ff%ff%ff",
        "application/x-www-form-urlencoded",
        415,
        400,
    ),
    "a very long form field": (
        f"username={LONG}&opponent={LONG}&password={LONG}".encode(),
        "application/x-www-form-urlencoded",
        415,
        400,
    ),
    "a nameless multipart part": (NAMELESS, "multipart/form-data; boundary=b", 415, None),
    "over 64 KiB": (b'{"a": "' + b"x" * (64 * 1024) + b'"}', "application/json", 413, 413),
}

QUERIES = {
    "NUL": "?v=%00&done=%00",
    "not UTF-8": "?v=%ff%fe",
    "very long": f"?done={LONG}",
    "a long name": f"?{LONG}=1",
}


@dataclass
class Site:
    """One app on moto with a game in progress, and every AWS call it makes recorded."""

    app: Any
    host: ApiPlayer
    guest: ApiPlayer
    game: dict[str, Any]
    calls: Recorder
    dynamodb: Any  # the test's own clients, made outside the recording
    s3: Any

    def url(self, rule: str) -> str:
        """Fill in a rule's arguments: real ones where known, a plausible word otherwise."""
        known = {
            "game_id": self.game["id"],
            "player": self.host.name,
            "digest": "0" * 64,
            "size": "64",
        }
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: known.get(m[1], "abcdefgh12"), rule)

    def send(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send as the host, with a valid CSRF token (so the input itself is what is judged)."""
        headers = {"X-CSRFToken": self.host.token, **kwargs.pop("headers", {})}
        return self.host.client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ):
            env.setenv(name, value)
        with mock_aws():
            clients = boto3.client("dynamodb"), boto3.client("s3")
            yield from _site(*clients)


def _site(dynamodb: Any, s3: Any) -> Iterator[Site]:
    with recording() as calls:
        app = create_app(make_settings())
        app.config["TESTING"] = True
        app.test_client_class = CheckedClient
        host = ApiPlayer(app.test_client(), "malformed-host").register()
        guest = ApiPlayer(app.test_client(), "malformed-guest").register()
        game = guest.accept(host.invite(guest))
        yield Site(app, host, guest, game, calls, dynamodb, s3)


def stored(site: Site) -> dict[str, Any]:
    """Every item of every table and every object of every bucket."""
    dynamodb, s3 = site.dynamodb, site.s3
    state: dict[str, Any] = {}
    for table in dynamodb.list_tables()["TableNames"]:
        items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
        state[table] = sorted(json.dumps(i, sort_keys=True) for i in items)
    for bucket in s3.list_buckets()["Buckets"]:
        listed = s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        state[bucket["Name"]] = sorted((o["Key"], o["ETag"]) for o in listed)
    return state


def refused(site: Site, method: str, path: str, **kwargs: Any) -> Any:
    """Send a request that must be refused; check that it changed and leaked nothing."""
    before, seen = stored(site), len(site.calls.calls)
    response = site.send(method, path, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:200])
    made = site.calls.calls[seen:]
    assert not [c.operation for c in made if c.operation in WRITES]
    for call in made:
        text = json.dumps(call.params, default=str)
        assert "\\u0000" not in text and LONG not in text, call
    assert stored(site) == before
    if path.startswith("/api/"):
        assert response.is_json and response.get_json()["error"]
    return response


def _upload(endpoint: str) -> bool:
    return endpoint in {"api.set_avatar", "pages.upload_picture"}


@pytest.mark.parametrize("case", BODIES, ids=str)
@pytest.mark.parametrize(
    "method,rule,endpoint", WITH_BODY, ids=[f"{m} {r}" for m, r, _ in WITH_BODY]
)
def test_malformed_bodies_get_a_clear_4xx_and_change_nothing(
    site: Site, method: str, rule: str, endpoint: str, case: str
) -> None:
    body, content_type, api_status, page_status = BODIES[case]
    path = site.url(rule)
    if page_status is None and not path.startswith("/api/"):
        return  # a well-formed form, which the pages take
    response = refused(site, method, path, data=body, content_type=content_type)
    if not _upload(endpoint):  # uploads read their own multipart body: a 400 or 413 of theirs
        assert response.status_code == (api_status if path.startswith("/api/") else page_status)


@pytest.mark.parametrize("case", QUERIES, ids=str)
@pytest.mark.parametrize("rule,endpoint", RULES, ids=[r for r, _ in RULES])
def test_malformed_query_strings_get_a_400(site: Site, rule: str, endpoint: str, case: str) -> None:
    method = min(m for m, r, _ in ROUTES if r == rule)  # DELETE, GET, POST or PUT
    path = site.url(rule) + QUERIES[case]
    assert refused(site, method, path).status_code == 400


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("rule,endpoint", RULES, ids=[r for r, _ in RULES])
def test_other_methods_get_a_405_naming_the_allowed_ones(
    site: Site, rule: str, endpoint: str, method: str
) -> None:
    allowed = {m for m, r, _ in ROUTES if r == rule}
    if method in allowed:
        return
    response = refused(site, method, site.url(rule))
    assert response.status_code == 405
    assert allowed <= set(response.headers["Allow"].replace(" ", "").split(","))
    assert response.is_json == rule.startswith(("/api/", "/health"))


@pytest.mark.parametrize("rule,endpoint", RULES, ids=[r for r, _ in RULES])
def test_options_names_the_methods_and_changes_nothing(
    site: Site, rule: str, endpoint: str
) -> None:
    before = stored(site)
    response = site.send("OPTIONS", site.url(rule))
    assert response.status_code == 200 and response.get_data() == b""
    allowed = {m for m, r, _ in ROUTES if r == rule}
    assert allowed | {"OPTIONS"} <= set(response.headers["Allow"].replace(" ", "").split(","))
    assert stored(site) == before


@pytest.mark.parametrize("method,rule,endpoint", GETS, ids=[f"{m} {r}" for m, r, _ in GETS])
def test_head_answers_like_get_without_a_body(
    site: Site, method: str, rule: str, endpoint: str
) -> None:
    path = site.url(rule)
    got, head = site.send("GET", path), site.send("HEAD", path)
    # This app has push off: its streams answer 503 "poll instead", by contract (the stream
    # tests, tests/api/test_streams.py, cover them with push on).
    off = 503 if endpoint.startswith("streams.") else 499
    assert head.status_code == got.status_code <= off and head.get_data() == b""
    assert head.headers.get("Content-Type") == got.headers.get("Content-Type")


def test_a_chunked_body_over_64_kib_is_a_413(site: Site) -> None:
    """No Content-Length to refuse it by: the limit stops the read instead."""
    body = b'{"username": "' + b"x" * (64 * 1024) + b'"}'
    response = refused(
        site,
        "POST",
        "/api/login",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/api/me/avatar", "/profile/avatar"])
def test_an_upload_over_its_raised_limit_is_a_413(site: Site, path: str) -> None:
    method = "PUT" if path.startswith("/api/") else "POST"
    body = b"x" * (images.UPLOAD_LIMIT + 1)
    response = refused(
        site, method, path, data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 413


def test_a_body_the_route_does_not_need_is_still_checked(site: Site) -> None:
    """Accepting a game reads no body, but a malformed one is refused all the same."""
    game = site.guest.invite(site.host)
    response = refused(
        site,
        "POST",
        f"/api/games/{game['id']}/accept",
        data=b"[" * 5000,
        content_type="application/json",
    )
    assert response.status_code == 400
    accepted = site.send(
        "POST", f"/api/games/{game['id']}/accept", data=b"", content_type="application/json"
    )
    assert accepted.status_code == 200  # an empty body is no body


@pytest.mark.parametrize("path", ["/api/me/avatar", "/profile/avatar"])
def test_an_upload_with_a_nameless_part_is_a_400(site: Site, path: str) -> None:
    """Werkzeug files a part without a name under None, which Flask-WTF tripped over (a 500)."""
    method = "PUT" if path.startswith("/api/") else "POST"
    response = refused(
        site, method, path, data=NAMELESS, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 400
