"""Presence costs DynamoDB nothing (issue 28 section 2): with push on, a game's GET that reads
who is here from the bus's Valkey, and a claim decided by the opponent's absence, stay within
the budgets of the same requests without presence (tests/store/test_capacity_budget.py), on
DynamoDB Local with a redis-server of this module's own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import Recorder
from bench.flows import new_pair
from tests.conftest import make_settings, passthrough
from tests.services.test_accounts import Clock
from tests.store.test_capacity_budget import BUDGETS, RESULTS, Budget
from tictactoe import create_app
from tictactoe.rules.clock import now
from tictactoe.web import auth


@pytest.fixture
def recorded(
    dynamodb_local_url: str, bus_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, Recorder]]:
    """The app on DynamoDB Local with push on, the capacity recorder on its client."""
    monkeypatch.setattr(auth, "clock", Clock())  # no session re-checks in a slow run
    with mock_aws(config=passthrough(dynamodb_local_url)):
        settings = make_settings(endpoint=dynamodb_local_url)
        app = create_app(replace(settings, push_url=bus_url, away_claim_seconds=1))
        yield app, Recorder.install(app.extensions["tictactoe"].dynamodb)


def within(used: dict[str, float], budget: Budget) -> bool:
    return used["calls"] <= budget.calls and used["rcu"] <= budget.rcu and used["wcu"] <= budget.wcu


def test_a_get_and_a_claim_by_absence_cost_what_they_cost_without_presence(
    recorded: Any,
) -> None:
    app, recorder = recorded
    built = app.extensions["tictactoe"]
    me, other = new_pair(app)
    game_id = me.invite(other.name)
    other.accept(game_id)  # the opponent (X) is to move
    # The opponent had the game's page open and closed it (what their stream writes).
    assert built.presence.come([(game_id, other.name, "page")])
    assert built.presence.go([(game_id, other.name, "page")])
    built.games.clock = lambda: time.time() + 5  # past the absence allowed, days before 3

    recorder.reset()
    read = me.client.get(f"/api/games/{game_id}")
    assert read.status_code == 200
    assert read.get_json()["claimable_at"] < now(time.time() + 60)  # not the 3-day rule
    poll = recorder.snapshot()["by_type"]["poll"]
    assert within(poll, BUDGETS["poll"]), poll

    recorder.reset()
    won = me.client.post(f"/api/games/{game_id}/claim", headers={"X-CSRFToken": me.csrf})
    assert won.status_code == 200, won.get_json()
    assert won.get_json()["winner"] == me.name
    claim = recorder.snapshot()["by_type"]["claim"]
    assert within(claim, RESULTS["claim"]), claim
