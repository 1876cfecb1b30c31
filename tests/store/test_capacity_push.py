"""Push costs no DynamoDB call: every request makes the calls it makes with push off.

Beside test_capacity_budget.py, on DynamoDB Local, counted the same way (the app's capacity
hook, tictactoe/adapters/capacity.py, added up per request type by bench/capacity.py). The
same sequence of requests (invite, accept, moves up to the finish, rematch, challenge,
reject, cancel, resign, sign out everywhere) runs on an app with push off and on one with push
on (a redis-server of this module's own): call for call, unit for unit, they must match.
Publishing is a notice on the bus, written from what the store's own write returned.

With streams open, the requests still cost the same, and the hub reads nothing: each notice
carries the game as its write returned it, signed with the app's key (tictactoe/rules/
notices.py). Before, the hub read the game once per change (0.5 RCU each, per instance); a
notice from a release that does not sign still costs that one read (tests/services/test_hub.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import Recorder, request_type
from tests.conftest import make_settings, passthrough
from tests.services.test_accounts import Clock
from tests.support.players import ApiPlayer
from tests.support.streams import game_events, started, watch
from tictactoe import create_app
from tictactoe.adapters import capacity
from tictactoe.web import auth, streams

WIN = [(0, "x"), (3, "o"), (1, "x"), (4, "o"), (2, "x")]  # X (the opponent) takes the top row


@pytest.fixture(autouse=True)
def still(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sessions' clock stands still (no session re-checks); streams' heartbeats are quick."""
    monkeypatch.setattr(auth, "clock", Clock())
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)


@pytest.fixture
def apps(dynamodb_local_url: str, bus_url: str) -> Iterator[tuple[Any, Any]]:
    """An app with push off and one with push on, on DynamoDB Local (tables of their own)."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        off = create_app(make_settings(endpoint=dynamodb_local_url))
        on = create_app(replace(make_settings(endpoint=dynamodb_local_url), push_url=bus_url))
        assert off.extensions["tictactoe"].hub is None
        assert on.extensions["tictactoe"].hub is not None
        yield off, on


def name() -> str:
    return f"p{uuid.uuid4().hex[:12]}"  # the same length every run: items of the same size


class Steps:
    """Requests, each measured apart: (step, usage per request type)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        client = app.extensions["tictactoe"].dynamodb
        self.recorder = Recorder.install(client)
        self.used: list[tuple[str, dict[str, Any]]] = []
        self.outside: list[str] = []  # calls made outside any request (the hub's reads)
        capacity.install(client).subscribe(self._outside)

    def _outside(self, call: capacity.Call) -> None:
        if request_type() == "outside":
            self.outside.append(call.operation)

    def player(self) -> ApiPlayer:
        return ApiPlayer(self.app.test_client(), name()).register()

    def __call__(
        self,
        step: str,
        who: ApiPlayer,
        method: str,
        path: str,
        status: int,
        body: Any = None,
        **headers: str,
    ) -> Any:
        self.recorder.reset()
        response = who.call(method, path, body, headers=headers)
        assert response.status_code == status, (step, response.get_json())
        used = self.recorder.snapshot()
        by_type = used["by_type"]
        by_type.pop("outside", None)  # counted apart, whenever they come
        self.used.append(
            (step, {kind: (u["calls"], u["rcu"], u["wcu"]) for kind, u in by_type.items()})
        )
        return response


def play(steps: Steps, with_streams: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The sequence of requests; with streams open on the game and on each player's own."""
    host, opponent, third = steps.player(), steps.player(), steps.player()
    opened = []
    game = steps("invite", host, "POST", "/api/games", 201, {"opponent": opponent.name})
    game_id = game.get_json()["id"]
    if with_streams:
        opened = [
            watch(steps.app, host, game_events(game_id)),
            watch(steps.app, host, "/api/me/events"),
            watch(steps.app, opponent, "/api/me/events"),
        ]
        for stream in opened:
            started(stream)
    try:
        state = steps("accept", opponent, "POST", f"/api/games/{game_id}/accept", 200)
        for n, (cell, mark) in enumerate(WIN, start=1):
            state = steps(
                f"move {n}",
                opponent if mark == "x" else host,
                "POST",
                f"/api/games/{game_id}/moves",
                200,
                {"cell": cell},
                **{"X-Game-State": state.headers["ETag"].strip('"')},
            )
        assert state.get_json()["status"] == "FINISHED"
        again = steps("ask rematch", opponent, "POST", f"/api/games/{game_id}/rematch", 201)
        rematch = again.get_json()["id"]
        steps("accept rematch", host, "POST", f"/api/games/{game_id}/rematch", 200)
        steps("resign", host, "POST", f"/api/games/{rematch}/resign", 200)
        challenge = steps("challenge", host, "POST", "/api/challenges", 201).get_json()["id"]
        steps("take", third, "POST", f"/api/games/{challenge}/accept", 200)
        declined = steps("invite 2", third, "POST", "/api/games", 201, {"opponent": opponent.name})
        steps("reject", opponent, "POST", f"/api/games/{declined.get_json()['id']}/reject", 204)
        withdrawn = steps("invite 3", host, "POST", "/api/games", 201, {"opponent": third.name})
        steps("cancel", host, "POST", f"/api/games/{withdrawn.get_json()['id']}/cancel", 204)
        if with_streams:  # every change has reached the streams: the hub's reads are done
            opened[1].events_until(
                lambda e: e.event == "gone" and e.json()["id"] == withdrawn.get_json()["id"]
            )
        steps("sign out everywhere", host, "POST", "/api/me/sessions/revoke", 204)
    finally:
        for stream in opened:
            stream.close()
    return steps.used


def test_with_push_on_every_request_makes_the_calls_it_makes_with_push_off(
    apps: tuple[Any, Any],
) -> None:
    off, on = apps
    without, with_push = Steps(off), Steps(on)
    assert play(with_push) == play(without)
    assert with_push.outside == without.outside == []  # and nothing else, meanwhile


def test_open_streams_add_no_call_to_any_request(apps: tuple[Any, Any]) -> None:
    off, on = apps
    without, with_streams = Steps(off), Steps(on)
    assert play(with_streams, with_streams=True) == play(without)
    # The hub's reads: none. Each notice carried its game, so the streams were fed (play()
    # checks what they sent) without a call, within a request or outside one.
    assert with_streams.outside == without.outside == []
