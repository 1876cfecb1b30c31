"""The request log: one JSON line per request, with its id and its DynamoDB capacity.

The capacity figures are checked on DynamoDB Local, which reports ReturnConsumedCapacity as
DynamoDB does (moto leaves parts of it out); the rest runs on moto.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import Recorder
from bench.flows import WIN_IN_7, new_pair, play_game
from tests.conftest import make_settings, passthrough
from tests.services.test_accounts import Clock
from tests.services.test_limits import ATTACKER, WRONG, from_address, limited_app, log_in
from tests.support.openapi import CheckedClient
from tictactoe import create_app, logs
from tictactoe.web import auth
from tictactoe.web.layers.requestlog import request_id_from, route_of

ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
TRACE_ROOT = "1-67891233-abcdef012345678912345678"


class Lines:
    """What the app logged, as the JSON objects of its lines."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["logger"] == "tictactoe.requests"]

    def of(self, response: Any) -> dict[str, Any]:
        """Return the one request line of `response`."""
        mine = [r for r in self.requests() if r["request_id"] == response.headers["X-Request-Id"]]
        assert len(mine) == 1, mine
        return mine[0]


@pytest.fixture
def lines() -> Iterator[Lines]:
    """Capture the root logger's output in production's JSON format."""
    captured = Lines()
    handler = logs.handler(captured.stream, "json")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


class SeenClient(CheckedClient):
    """A test client that keeps every response it got."""

    seen: list[Any]

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        self.seen.append(response)
        return response


def test_every_request_line_carries_its_id_and_consumed_capacity(
    dynamodb_local_url: str, lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "clock", Clock())  # still: no session re-check adds a read
    with mock_aws(config=passthrough(dynamodb_local_url)):
        app = create_app(make_settings(endpoint=dynamodb_local_url))
        SeenClient.seen = []
        app.test_client_class = SeenClient
        recorder = Recorder.install(app.extensions["tictactoe"].dynamodb)
        host, opponent = new_pair(app)
        play_game(host, opponent, WIN_IN_7)
    responses = SeenClient.seen
    assert len(responses) > 30
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert len(set(ids)) == len(ids) and all(ID.fullmatch(i) for i in ids)
    assert sorted(line["request_id"] for line in lines.requests()) == sorted(ids)
    for response in responses:
        line = lines.of(response)
        assert line["method"] == response.request.method
        assert line["status"] == response.status_code
        assert line["duration_ms"] >= 0 and line["dynamodb_ms"] >= 0
        assert isinstance(line["dynamodb_calls"], int)
        assert line["time"].endswith("+00:00")
    # The lines add up to what the benchmarks' recorder saw, from the same hook.
    total = recorder.snapshot()["total"]
    logged = lines.requests()
    assert sum(r["dynamodb_calls"] for r in logged) == total["calls"] > 0
    assert sum(r["rcu"] for r in logged) == pytest.approx(total["rcu"])
    assert sum(r["wcu"] for r in logged) == pytest.approx(total["wcu"])
    moves = [
        lines.of(r)
        for r in responses
        if r.request.method == "POST" and r.request.path.endswith("/moves")
    ]
    assert len(moves) == len(WIN_IN_7)
    for move in moves[:-1]:  # one conditional write on the table alone
        assert (move["route"], move["dynamodb_calls"], move["rcu"], move["wcu"]) == (
            "/api/games/<game_id>/moves",
            1,
            0.0,
            1.0,
        )
        assert move["player"] in (host.name, opponent.name)
    polls = [
        lines.of(r)
        for r in responses
        if r.request.path.startswith("/api/games/") and r.request.method == "GET"
    ]
    assert polls and all(p["rcu"] == 0.5 and p["wcu"] == 0.0 for p in polls)


def test_the_load_balancers_trace_id_names_the_request(app: Any, lines: Lines) -> None:
    trace = f"Self=1-67891234-12456789abcdef012345678;Root={TRACE_ROOT};Sampled=1"
    response = app.test_client().get("/health", headers={"X-Amzn-Trace-Id": trace})
    assert response.headers["X-Request-Id"] == TRACE_ROOT
    line = lines.of(response)
    assert (line["route"], line["status"], line["player"]) == ("/health", 200, None)


@pytest.mark.parametrize(
    "header",
    [
        "Root=1-67891233-abcdef01234567891234567",  # one digit short
        "Root=1-67891233-ABCDEF012345678912345678",  # X-Ray writes lower case
        "Root=1-67891233-abcdef012345678912345678\nforged: yes",
        "Root=1-67891233-abcdef012345678912345678;" + "x" * 300,
        "Root=<script>alert(1)</script>",
        "1-67891233-abcdef012345678912345678",  # no Root= field
        "",
    ],
)
def test_a_malformed_trace_id_gets_a_new_request_id(header: str) -> None:
    made = request_id_from(header)
    assert ID.fullmatch(made) and made != TRACE_ROOT


def test_the_id_is_on_every_response_and_in_the_records_written_meanwhile(
    app: Any, lines: Lines
) -> None:
    inside = logging.getLogger("tictactoe.test")
    app.add_url_rule("/test-log", "test_log", lambda: inside.warning("hello") or "ok")
    client = app.test_client()
    response = client.get("/test-log")
    record = next(r for r in lines.all() if r.get("message") == "hello")
    assert record["request_id"] == response.headers["X-Request-Id"]
    assert record["level"] == "WARNING" and record["logger"] == "tictactoe.test"
    refused = client.post("/api/games", json={"opponent": "bob"})  # no CSRF token: 400
    assert refused.status_code == 400 and ID.fullmatch(refused.headers["X-Request-Id"])
    assert lines.of(refused)["route"] == "/api/games"


def test_the_route_is_the_url_rule_and_the_player_is_named(player: Any, lines: Lines) -> None:
    alice, bob = player(), player()
    game = alice.invite(bob)
    response = bob.call("POST", f"/api/games/{game['id']}/accept")
    line = lines.of(response)
    assert line["route"] == "/api/games/<game_id>/accept" and game["id"] not in json.dumps(line)
    assert line["player"] == bob.name
    signed_out = bob.call("POST", "/api/logout")
    assert lines.of(signed_out)["player"] == bob.name  # who signed out
    unknown = bob.client.get(f"/no/such/{bob.name}")
    assert lines.of(unknown)["route"] is None and bob.name not in json.dumps(lines.of(unknown))


def test_an_error_page_shows_the_request_id(app: Any) -> None:
    response = app.test_client().get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["X-Request-Id"] in response.get_data(as_text=True)


def test_logs_are_readable_on_a_terminal_and_json_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv(logs.FORMAT_ENV, raising=False)
    assert logs.chosen_format(Terminal()) == "text"
    assert logs.chosen_format(io.StringIO()) == "json"
    monkeypatch.setenv(logs.FORMAT_ENV, "json")
    assert logs.chosen_format(Terminal()) == "json"
    out = io.StringIO()
    record = logging.LogRecord(
        "tictactoe.requests", logging.INFO, __file__, 1, "request", None, None
    )
    record.route, record.status, record.request_id = "/api/games", 201, TRACE_ROOT
    logs.handler(out, "text").handle(record)
    text = out.getvalue()
    assert TRACE_ROOT in text and "route=/api/games status=201" in text and "{" not in text


@pytest.mark.parametrize(
    ("rule", "route"),
    [
        ("/api/games/<game_id:game_id>/moves", "/api/games/<game_id>/moves"),
        ("/avatars/<player>/<string:name>.webp", "/avatars/<player>/<name>.webp"),
        ("/health", "/health"),
    ],
)
def test_routes_drop_their_converters(rule: str, route: str) -> None:
    assert route_of(rule) == route


def test_a_flood_refused_before_flask_is_logged_and_named_too(moto: None, lines: Lines) -> None:
    app = limited_app(login_attempts_per_client=2)
    attacker = from_address(app, ATTACKER)
    answers = [log_in(attacker, "nobody", WRONG) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 429, 429]
    for answer in answers:
        assert ID.fullmatch(answer.headers["X-Request-Id"])
        assert lines.of(answer)["status"] == answer.status_code
    # The last was refused from memory by the middleware: Flask never saw it, no route.
    assert (lines.of(answers[-1])["route"], lines.of(answers[-1])["dynamodb_calls"]) == (None, 0)
    assert lines.of(answers[0])["route"] == "/api/login"
