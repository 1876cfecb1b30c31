"""The capacity flow with push on: the pages see every change on their streams, not by polls.

On DynamoDB Local with a redis-server of the module's own, a complete game is played by
bench/flows.py with push on, billed as make bench bills it. The other page sees the accept and
every move through its stream (no poll is made), each stream's opening reads the game once,
and nothing else changes: every other request type costs what it costs with polling pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import instrumented_app
from bench.flows import WIN_IN_7
from bench.suites.capacity import games
from tests.conftest import make_settings, passthrough
from tictactoe.web import streams


@pytest.fixture
def quick_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)


@pytest.fixture
def settings(dynamodb_local_url: str) -> Iterator[Any]:
    with mock_aws(config=passthrough(dynamodb_local_url)):
        yield make_settings(endpoint=dynamodb_local_url)


def test_pages_on_their_streams_poll_nothing_and_pay_one_read_per_stream(
    settings: Any, tmp_path: Any, quick_heartbeat: None
) -> None:
    polled_app, polled_recorder = instrumented_app(settings)
    polled = games.game_capacity(polled_app, polled_recorder, WIN_IN_7, True)
    with games.push_app(settings, tmp_path) as (app, recorder):
        pushed = games.game_capacity(app, recorder, WIN_IN_7, True, push=True)
    assert pushed["final"]["status"] == polled["final"]["status"] == "FINISHED"
    on, off = pushed["capacity"]["by_type"], polled["capacity"]["by_type"]
    assert "poll" not in on and off["poll"]["calls"] == len(WIN_IN_7) + 1
    assert on["stream"]["calls"] == 2 and on["stream"]["rcu"] == 1.0  # two pages, 0.5 each

    def units(used: dict[str, Any], leave: str) -> dict[str, Any]:
        return {k: (v["rcu"], v["wcu"]) for k, v in used.items() if k != leave}

    assert units(on, "stream") == units(off, "poll")
    billed_on, billed_off = pushed["capacity"]["aws"]["total"], polled["capacity"]["aws"]["total"]
    assert billed_on["wcu"] == billed_off["wcu"]
    assert billed_on["rcu"] == billed_off["rcu"] - off["poll"]["rcu"] + 1.0
