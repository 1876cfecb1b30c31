"""The limits are shared by every process on the same tables (moto and DynamoDB Local alike),
and what they cost in DynamoDB: nothing for a successful login, nothing once refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import Recorder
from tests.conftest import make_settings, passthrough, unique
from tests.services.test_limits import (
    ATTACKER,
    PLAYER_HOME,
    WRONG,
    from_address,
    hashing_blocked,
    log_in,
    sign_up,
)
from tests.support.openapi import CheckedClient
from tests.support.players import PASSWORD
from tictactoe import create_app
from tictactoe.config import Settings
from tictactoe.services.limits import failed_once_more
from tictactoe.store.limits import Counters, Failures


def two_processes(settings: Settings, **limits: int) -> tuple[Any, Any]:
    """Two workers (or instances) on the same tables: they share DynamoDB, not memory."""
    apps = []
    for _ in range(2):
        app = create_app(replace(settings, **limits))
        app.config["TESTING"] = True
        app.test_client_class = CheckedClient
        apps.append(app)
    return apps[0], apps[1]


def test_failed_logins_add_up_across_processes(settings: Settings) -> None:
    one, two = two_processes(settings, failed_logins_per_account=2)
    victim = from_address(one, PLAYER_HOME)
    assert sign_up(victim, victim.name).status_code == 201
    assert log_in(from_address(one, ATTACKER), victim.name, WRONG).status_code == 401
    assert log_in(from_address(two, ATTACKER), victim.name, WRONG).status_code == 401
    for app in (one, two):
        assert log_in(from_address(app, ATTACKER), victim.name, PASSWORD).status_code == 429
        assert log_in(from_address(app, PLAYER_HOME), victim.name, PASSWORD).status_code == 200


def test_signups_add_up_across_processes(settings: Settings) -> None:
    one, two = two_processes(settings, signups_per_client=2)
    assert sign_up(from_address(one, ATTACKER), unique("a")[:20]).status_code == 201
    assert sign_up(from_address(two, ATTACKER), unique("b")[:20]).status_code == 201
    for app in (one, two):
        assert sign_up(from_address(app, ATTACKER), unique("c")[:20]).status_code == 429


def test_login_attempts_add_up_across_processes(settings: Settings) -> None:
    one, two = two_processes(settings, login_attempts_per_client=2)

    def attempt(app: Any) -> int:
        return int(log_in(from_address(app, ATTACKER), "nobody", WRONG).status_code)

    assert [attempt(one), attempt(two)] == [401, 401]  # two's count came back at the limit
    assert attempt(two) == 429  # so it refuses from memory
    # One learns the shared count with its next counted failure (the one overshoot per
    # process the design allows, see tictactoe/services/limits.py), then refuses from memory too.
    assert [attempt(one), attempt(one)] == [401, 429]


def test_a_counter_stops_at_its_limit(settings: Settings) -> None:
    app = create_app(settings)
    counters = Counters(app.extensions["tictactoe"].dynamodb, settings.users_table)
    assert [counters.hit("login", "192.0.2.1", 7, 3, 10**9) for _ in range(5)] == [
        1,
        2,
        3,
        None,
        None,
    ]
    assert counters.hit("login", "192.0.2.1", 8, 3, 10**9) == 1  # the next window
    assert counters.hit("login", "192.0.2.2", 7, 3, 10**9) == 1  # another client


def test_concurrent_failures_on_one_player_add_up(settings: Settings) -> None:
    app = create_app(settings)
    b = app.extensions["tictactoe"]
    b.users.create("victim", "hash", "victim")
    counters = Counters(b.dynamodb, settings.users_table)
    read_by_both = b.users.get("victim").login_failures
    first = failed_once_more(read_by_both, "192.0.2.1", 1000)
    assert counters.save_failures("victim", read_by_both, first) is None
    # The second process read the same (now stale) record: refused, told what is stored.
    stored = counters.save_failures(
        "victim", read_by_both, failed_once_more(read_by_both, "192.0.2.2", 1001)
    )
    assert stored == Failures({"192.0.2.1": (1000, 1)}, 1)
    retried = failed_once_more(stored, "192.0.2.2", 1001)
    assert counters.save_failures("victim", stored, retried) is None
    assert b.users.get("victim").login_failures.by_client == {
        "192.0.2.1": (1000, 1),
        "192.0.2.2": (1001, 1),
    }


@pytest.fixture
def recorded(dynamodb_local_url: str) -> Iterator[tuple[Any, Recorder]]:
    """An app with every limit on, on DynamoDB Local, recording its capacity."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        app = create_app(
            replace(
                make_settings(endpoint=dynamodb_local_url),
                failed_logins_per_account=2,
                login_attempts_per_client=3,
                signups_per_client=5,
            )
        )
        app.config["TESTING"] = True
        app.test_client_class = CheckedClient
        yield app, Recorder.install(app.extensions["tictactoe"].dynamodb)


def test_a_successful_login_costs_what_it_did_without_limits(recorded: Any) -> None:
    app, recorder = recorded
    player = from_address(app, PLAYER_HOME)
    assert sign_up(player, player.name).status_code == 201
    recorder.reset()
    assert log_in(from_address(app, PLAYER_HOME), player.name, PASSWORD).status_code == 200
    assert recorder.snapshot()["total"] == {"calls": 1, "rcu": 0.5, "wcu": 0, "cost": 0.5}


def test_a_flood_costs_a_bounded_number_of_calls(recorded: Any) -> None:
    app, recorder = recorded
    attacker = from_address(app, ATTACKER)
    recorder.reset()
    answers = [log_in(attacker, "nobody", WRONG).status_code for _ in range(3)]
    assert answers == [401, 401, 401]  # the third count came back at the limit
    counted = recorder.snapshot()["total"]
    assert counted["calls"] == 6 and counted["wcu"] <= 3  # a read and a write each
    recorder.reset()
    for _ in range(20):
        assert log_in(attacker, "nobody", WRONG).status_code == 429
    assert recorder.snapshot()["total"]["calls"] == 0  # refused from memory


def test_busy_is_refused_before_any_call(recorded: Any) -> None:
    app, recorder = recorded
    player = from_address(app, PLAYER_HOME)
    assert sign_up(player, player.name).status_code == 201
    with hashing_blocked(app, waiting=0):
        recorder.reset()
        busy = log_in(from_address(app, PLAYER_HOME), player.name, PASSWORD)
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        assert recorder.snapshot()["total"]["calls"] == 0
    assert log_in(from_address(app, PLAYER_HOME), player.name, PASSWORD).status_code == 200
