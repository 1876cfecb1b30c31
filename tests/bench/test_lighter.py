"""bench/suites/lighter: one short round of each measurement runs to the end on moto and its
section shows every kind of call and request, so a long `make bench` does not fail there."""

from __future__ import annotations

from typing import Any

import pytest

from bench.suites.lighter import per_call, per_request, report
from tests.conftest import make_settings
from tictactoe.adapters import clients


@pytest.fixture
def one_round(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (per_call, per_request):
        monkeypatch.setattr(module, "QUICK_ROUNDS", 1)
        monkeypatch.setattr(module, "QUICK_SECONDS", 1)
    monkeypatch.setattr(per_call, "BATCH", 2)


def test_one_round_of_the_suite_reports_every_call_and_request(moto: None, one_round: None) -> None:
    settings, shipped = make_settings(), clients.dynamodb
    results = {
        "calls": per_call.measure(settings, quick=True),
        "requests": per_request.measure(settings, quick=True),
    }
    text = "\n".join(report.markdown(results))
    for kind in (*per_call.KINDS, *per_request.KINDS, *per_request.ROWS):
        assert kind in text, kind
    assert results["calls"]["rounds"] == results["requests"]["rounds"] == 1
    assert clients.dynamodb is shipped  # the app builds its client as it ships again


def test_the_old_path_and_the_new_answer_alike(moto: None) -> None:
    """The two clients compared differ in their CPU, not in what the stores get."""
    settings = make_settings()
    paths: dict[str, Any] = per_call._clients(settings)
    per_call._create(paths["before"], "LighterTest")
    answers = {
        name: client.query(
            TableName="LighterTest",
            KeyConditionExpression="Id = :id",
            ExpressionAttributeValues={":id": {"S": "bench"}},
        )["Items"]
        for name, client in paths.items()
    }
    assert len(answers["before"]) == 25
    assert all(items == answers["before"] for items in answers.values())
