"""bench/suites/cuts/switches.py: a cut switched off is the behaviour before 7fcaba5, switched
on it is what create_app ships; the metrics line is written on and not off; and the process is
left as it was."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from flask.sessions import SecureCookieSessionInterface

from bench.suites.cuts.switches import CUTS, LOGGING_SRCFILE, METRICS, Switches
from tictactoe.adapters import metrics
from tictactoe.web.layers import requestlog


@pytest.fixture
def switches(app: Any) -> Iterator[Switches]:
    made = Switches(app)
    try:
        yield made
    finally:
        made.restore()


def caller_of_a_record() -> str:
    """Log one record from here; return the function name logging found for it."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("tests.bench.cuts")
    logger.addHandler(handler)
    try:
        logger.warning("one record")
    finally:
        logger.removeHandler(handler)
    return records[0].funcName


def badly_typed_read(client: Any) -> None:
    """A GetItem whose ConsistentRead is a string: botocore's validation refuses the type."""
    client.get_item(TableName="NoSuchTable", Key={"PK": {"S": "x"}}, ConsistentRead="yes")


def serializers_of_two_requests(app: Any) -> tuple[object, object]:
    made = []
    for _ in range(2):
        with app.test_request_context("/"):
            made.append(app.session_interface.get_signing_serializer(app))
    return made[0], made[1]


def test_off_is_the_behaviour_before_the_cuts(app: Any, switches: Switches) -> None:
    for name in CUTS:
        switches.set(name, False)
    interface = app.session_interface
    assert interface.get_signing_serializer.__func__ is (
        SecureCookieSessionInterface.get_signing_serializer
    )
    first, second = serializers_of_two_requests(app)
    assert first is not second  # Flask's: a new serializer (and signer) on every request
    with pytest.raises(ParamValidationError):  # botocore checks before anything is sent
        badly_typed_read(app.extensions["tictactoe"].dynamodb)
    assert logging._srcfile == LOGGING_SRCFILE  # type: ignore[attr-defined]
    assert caller_of_a_record() == "caller_of_a_record"
    assert not hasattr(requestlog.route_of, "cache_info")
    assert requestlog.route_of("/games/<game_id:game_id>") == "/games/<game_id>"


def test_on_is_what_the_app_ships(app: Any, switches: Switches) -> None:
    shipped = app.session_interface
    client = app.extensions["tictactoe"].dynamodb
    serializer = client._serializer
    for name in CUTS:
        switches.set(name, False)
    switches.ship()
    assert app.session_interface is shipped
    first, second = serializers_of_two_requests(app)
    assert first is second  # kept per process
    assert client._serializer is serializer
    with pytest.raises(ClientError):  # sent as it is: the database answers
        badly_typed_read(client)
    assert logging._srcfile is None  # type: ignore[attr-defined]
    assert caller_of_a_record() == "(unknown function)"
    assert hasattr(requestlog.route_of, "cache_info")


def test_a_request_served_with_every_cut_off_and_on(app: Any, switches: Switches) -> None:
    for on in (False, True):
        for name in CUTS:
            switches.set(name, on)
        assert app.test_client().get("/").status_code == 200


def test_restore_leaves_the_process_as_it_was(app: Any) -> None:
    srcfile, route_of = logging._srcfile, requestlog.route_of  # type: ignore[attr-defined]
    made = Switches(app)
    for name in CUTS:
        made.set(name, False)
    made.set("srcfile", srcfile is not None)  # away from what it was, whichever it was
    made.restore()
    assert logging._srcfile == srcfile  # type: ignore[attr-defined]
    assert requestlog.route_of is route_of


def metrics_lines(path: str) -> list[dict[str, Any]]:
    with open(path) as written:
        return [json.loads(line) for line in written]


def test_metrics_on_writes_a_line_per_request_and_off_none(app: Any) -> None:
    made = Switches(app)
    client = app.test_client()
    try:
        made.set(METRICS, True)
        assert made.metrics_file is not None
        path = made.metrics_file
        for _ in range(3):
            assert client.get("/").status_code == 200
        lines = metrics_lines(path)
        assert [line["Requests"] for line in lines] == [1, 1, 1]
        assert {line["StatusClass"] for line in lines} == {"2xx"}
        made.set(METRICS, False)
        for _ in range(2):
            assert client.get("/").status_code == 200
        made.set(METRICS, True)  # on again: the same file goes on growing
        assert client.get("/").status_code == 200
        assert len(metrics_lines(path)) == 4
        made.ship()  # every other row runs with metrics off
        assert client.get("/").status_code == 200
        assert len(metrics_lines(path)) == 4
    finally:
        made.restore()
    assert not os.path.exists(path)
    assert not metrics.enabled()
    assert client.get("/").status_code == 200
    assert not os.path.exists(path)  # off: nothing writes the file again
