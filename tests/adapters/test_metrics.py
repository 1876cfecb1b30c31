"""The app's CloudWatch metrics (tictactoe/adapters/metrics.py): real lines, checked against EMF.

Each test runs the app with TICTACTOE_METRICS_FILE set, plays through the API, and reads back
the file the CloudWatch agent would ship. Every line must be an Embedded Metric Format document
as AWS's specification defines it (below, as a JSON schema plus the rules a schema cannot
say), and must say what happened: the requests by route and status class, the moves and the
games, the 5xx, and, once a minute, the bus being down and the notices it dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient
from moto import mock_aws

from bench.flows import WIN_IN_7
from devstack import processes, redis_server
from tests.conftest import make_settings
from tests.support.players import ApiPlayer
from tests.support.streams import eventually
from tictactoe import create_app
from tictactoe.adapters import metrics
from tictactoe.services import games as game_service

# The units a MetricDefinition may name: CloudWatch API reference, MetricDatum, Unit.
UNITS = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
]
NAME = {"type": "string", "minLength": 1, "maxLength": 255}
# CloudWatch User Guide, "Specification: Embedded metric format" (docs.aws.amazon.com/
# AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
# written as a JSON schema: the root object holds `_aws`, whose Timestamp is milliseconds since
# the epoch and whose CloudWatchMetrics is a list of MetricDirectives; a directive names a
# Namespace, DimensionSets (lists of dimension keys, at most 9 in the older text of the page,
# 30 in the newer: the stricter holds) and at most 100 MetricDefinitions, each a Name and an
# optional Unit.
EMF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "CloudWatchMetrics": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "additionalProperties": False,
                        "properties": {
                            "Namespace": NAME,
                            "Dimensions": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "array", "maxItems": 9, "items": NAME},
                            },
                            "Metrics": {
                                "type": "array",
                                "maxItems": 100,
                                "items": {
                                    "type": "object",
                                    "required": ["Name"],
                                    "additionalProperties": False,
                                    "properties": {"Name": NAME, "Unit": {"enum": UNITS}},
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}
MAX_EVENT = 256 * 1024  # a CloudWatch Logs event, and the older page's EMF limit


def check_emf(line: str) -> dict[str, Any]:
    """Return the document of `line` if it is valid EMF; fail, saying why, if not."""
    # The agent treats a log as EMF when its lines start with {, end with } and name
    # CloudWatchMetrics (amazon-cloudwatch-agent, plugins/outputs/cloudwatchlogs, Publish).
    assert line.startswith("{") and line.endswith("}") and '"CloudWatchMetrics"' in line, line
    assert len(line.encode()) <= MAX_EVENT and "\n" not in line
    document = json.loads(line)  # one JSON object, nothing before or after it
    jsonschema.validate(document, EMF_SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimensions in directive["Dimensions"]:
            for key in dimensions:  # a dimension's target: a root member, a string
                value = document[key]
                assert isinstance(value, str) and value.strip() and value.isascii(), (key, value)
        for definition in directive["Metrics"]:  # a metric's: a number, or up to 100 of them
            value = document[definition["Name"]]
            values = value if isinstance(value, list) else [value]
            assert 1 <= len(values) <= 100, definition
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return document


def emitted(documents: list[dict[str, Any]]) -> set[tuple[str, str, frozenset[str]]]:
    """Every (namespace, metric, dimension names) the documents make CloudWatch publish."""
    return {
        (directive["Namespace"], definition["Name"], frozenset(dimensions))
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
        for dimensions in directive["Dimensions"]
        for definition in directive["Metrics"]
    }


def read(path: Path) -> list[dict[str, Any]]:
    return [check_emf(line) for line in path.read_text().splitlines()]


@pytest.fixture
def metrics_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Metrics on, as on Elastic Beanstalk, into a file of this test's own."""
    path = tmp_path / "metrics.log"
    monkeypatch.setenv(metrics.FILE_ENV, str(path))
    monkeypatch.setenv(metrics.ENVIRONMENT_ENV, "Tictactoe-env")
    yield path
    monkeypatch.delenv(metrics.FILE_ENV)
    metrics.configure()  # off again, for the tests that follow


def play_with_the_bus_down(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """Play a game to its end, a 404, an unknown URL and a 500 on an app whose bus is down;
    return the app and the game's id."""
    dead = redis_server.url(processes.free_port())  # nothing listens there
    app = create_app(replace(make_settings(), push_url=dead))
    alice, bob = (ApiPlayer(FlaskClient(app), name).register() for name in ("alice", "bob"))
    game = bob.accept(alice.invite(bob))  # the invited player plays X and moves first
    for turn, cell in enumerate(WIN_IN_7):
        assert (bob, alice)[turn % 2].move(game, cell).status_code == 200
    assert alice.call("GET", "/api/games/nosuchgame00").status_code == 404
    assert alice.call("GET", "/no/such/page").status_code == 404

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(game_service, "lists", broken)
    assert alice.call("GET", "/api/games").status_code == 500
    return app, game["id"]


def test_every_request_writes_one_emf_line_that_says_what_it_did(
    metrics_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_aws():
        _, game_id = play_with_the_bus_down(monkeypatch)
    lines = read(metrics_file)
    assert all(line["Environment"] == "Tictactoe-env" for line in lines)
    requests = [line for line in lines if "Route" in line]
    assert len(requests) == len(lines)  # no minute has passed: request lines only

    def of(route: str, status_class: str) -> list[dict[str, Any]]:
        return [r for r in requests if (r["Route"], r["StatusClass"]) == (route, status_class)]

    moves = of("/api/games/<game_id>/moves", "2xx")
    assert len(moves) == 7 and all(m["Moves"] == 1 for m in moves)
    assert sum(r.get("Moves", 0) for r in requests) == 7  # counted on the moves' lines only
    assert [m.get("GamesFinished", 0) for m in moves] == [0] * 6 + [1]
    (accepted,) = of("/api/games/<game_id>/accept", "2xx")
    assert accepted["GamesStarted"] == 1 and sum(r.get("GamesStarted", 0) for r in requests) == 1
    assert len(of("/api/games/<game_id>", "4xx")) == 1
    assert len(of(metrics.UNMATCHED, "4xx")) == 1
    (failed,) = of("/api/games", "5xx")
    assert failed["ServerErrors"] == 1
    assert sum(r["ServerErrors"] for r in requests) == 1  # every other request: 0
    assert all(r["Requests"] == 1 and r["Latency"] > 0 for r in requests)
    # URL rules, never raw paths: no game id and no name reaches a dimension.
    assert not [r for r in requests if game_id in r["Route"] or "alice" in r["Route"]]
    names = emitted(lines)
    assert ("TicTacToe", "Requests", frozenset({"Environment", "Route", "StatusClass"})) in names
    assert ("TicTacToe", "Latency", frozenset({"Environment"})) in names


def test_each_minute_a_process_reports_the_bus_down_and_the_notices_it_dropped(
    metrics_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_aws():
        app, _ = play_with_the_bus_down(monkeypatch)
    hub = app.extensions["tictactoe"].hub
    eventually(hub.bus_down)  # the sender failed to publish the game's notices
    metrics.report()  # what the minute's thread does at half past each minute
    minute = read(metrics_file)[-1]
    assert "Route" not in minute
    assert minute["BusDown"] == 1 and minute["BusOutages"] == 1
    assert minute["NoticesDropped"] >= 1  # at least the first; the rest may still wait
    assert minute["OpenStreams"] == 0
    metrics.report()  # counts start again from zero; gauges say what is now
    again = read(metrics_file)[-1]
    assert again["BusDown"] == 1 and "BusOutages" not in again


def test_the_file_never_grows_past_its_cap(tmp_path: Path) -> None:
    sink = metrics.Sink(str(tmp_path / "metrics.log"), "Tictactoe-env", max_bytes=4096)
    for n in range(200):
        sink.write({"_aws": {"Timestamp": n, "CloudWatchMetrics": []}, "n": n})
        assert (tmp_path / "metrics.log").stat().st_size <= 4096
    last = (tmp_path / "metrics.log").read_text().splitlines()
    assert [json.loads(line)["n"] for line in last] == list(range(200 - len(last), 200))


def test_a_metrics_file_that_cannot_be_written_leaves_the_app_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(metrics.FILE_ENV, str(tmp_path / "no-such-folder" / "metrics.log"))
    try:
        with mock_aws():
            app = create_app(make_settings())
            player = ApiPlayer(FlaskClient(app), "alice").register()
            assert player.call("GET", "/api/games").status_code == 200
        assert not metrics.enabled()
        assert "Metrics are off: cannot write to" in caplog.text
    finally:
        monkeypatch.delenv(metrics.FILE_ENV)
        metrics.configure()


def test_without_a_metrics_file_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(metrics.FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        app = create_app(make_settings())
        player = ApiPlayer(FlaskClient(app), "alice").register()
        assert player.call("GET", "/api/games").status_code == 200
    assert not metrics.enabled()
    assert list(tmp_path.iterdir()) == []
