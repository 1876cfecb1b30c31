"""Presence on one app with push on (moto, a redis-server of this test's own): what a game's
stream says about who has it open, how the game's claimable_at follows the player to move
leaving, and that a bus that does not answer changes nothing but presence (the turn timeout
alone, no failed request). Across instances: test_presence_stack.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings, unique
from tests.support.players import ApiPlayer
from tests.support.streams import (
    EventStream,
    Message,
    RedisServer,
    game_events,
    push_app,
    running_redis,
    tab,
)
from tictactoe.rules.clock import now
from tictactoe.web import streams


@pytest.fixture(autouse=True)
def heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[RedisServer]:
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture
def app(moto: None, bus: RedisServer) -> Any:
    return push_app(make_settings(), bus.url)


def player(app: Any) -> ApiPlayer:
    return ApiPlayer(app.test_client(), unique("p")[:20]).register()


def page(app: Any, who: ApiPlayer, game: dict[str, Any]) -> EventStream:
    """Open the game's page (its stream, presence events kept) in a tab of `who`'s."""
    stream = EventStream(tab(app, who), game_events(game), presence=True)
    assert stream.status == 200, stream.body
    return stream


def presence(here: list[str], watchers: int = 0) -> Any:
    return lambda m: m.event == "presence" and m.json() == {"here": here, "watchers": watchers}


def test_a_game_s_stream_says_who_has_it_open_as_pages_open_and_close(app: Any) -> None:
    host, opponent, watcher = player(app), player(app), player(app)
    game = opponent.accept(host.invite(opponent))  # the opponent (X) is to move
    with page(app, host, game) as mine:
        first = mine.next_event()
        assert first.event == "game" and first.json()["claimable_at"] > now(time.time() + 3600)
        mine.events_until(presence([host.name]))  # as it opens: she alone
        theirs = page(app, opponent, game)
        mine.events_until(presence(sorted([host.name, opponent.name])))
        with page(app, watcher, game):
            mine.events_until(presence(sorted([host.name, opponent.name]), watchers=1))
        mine.events_until(presence(sorted([host.name, opponent.name])))
        theirs.close()
        left = time.time()
        seen = mine.events_until(lambda m: m.event == "game")  # claimable_at moved: again
        assert seen[0].json() == {"here": [host.name], "watchers": 0}
        again: Message = seen[-1]
        assert again.id == first.id  # the same state of the game
        away = 60  # [game].away_claim_seconds by default
        assert now(left - 1 + away) < again.json()["claimable_at"] < now(time.time() + away)


def test_with_the_bus_not_answering_the_turn_timeout_alone_counts(
    app: Any, bus: RedisServer
) -> None:
    host, opponent = player(app), player(app)
    game = opponent.accept(host.invite(opponent))
    presence_of = app.extensions["tictactoe"].presence
    assert presence_of.come([(game["id"], opponent.name, "page")])
    assert presence_of.go([(game["id"], opponent.name, "page")])  # he left
    app.extensions["tictactoe"].games.clock = lambda: time.time() + 120  # past a minute
    bus.stop()
    read = host.call("GET", f"/api/games/{game['id']}")
    assert read.status_code == 200
    assert read.get_json()["claimable_at"] > now(time.time() + 24 * 3600)  # 3 days
    refused = host.call("POST", f"/api/games/{game['id']}/claim")
    assert refused.status_code == 409 and refused.get_json()["error"].startswith("too early")
