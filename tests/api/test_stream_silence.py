"""A frozen push bus under the app: its streams end within 5 s, told to poll, and come back.

A redis-server of this test's own is frozen with SIGSTOP, as a failover or a network partition
would leave it: connections stay open and nothing raises, so only the subscription's own
PINGs can tell (tictactoe/adapters/bus.py). The bounds are issue 28's: noticed within 5 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings, unique
from tests.support.players import ApiPlayer
from tests.support.streams import WAIT, EventStream, RedisServer, game_events, push_app, started
from tests.support.streams import tab as other_tab
from tictactoe.adapters import bus as buses
from tictactoe.web import streams

NOTICED_WITHIN = 5.0  # seconds from the freeze to the streams' end


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)
    monkeypatch.setattr(buses, "BACKOFF", (0.05, 0.1, 0.2))  # subscribe again soon


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    own = RedisServer(tmp_path)
    own.start()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture
def app(moto: None, server: RedisServer) -> Any:
    return push_app(make_settings(), server.url)


def opened(app: Any, who: ApiPlayer, path: str, wait: float) -> EventStream:
    """Open `path` as a page does: retrying while it answers 503, for up to `wait` s."""
    deadline = time.monotonic() + wait
    while True:
        stream = EventStream(other_tab(app, who), path)
        if stream.status == 200:
            return stream
        stream.close()
        assert stream.status == 503 and time.monotonic() < deadline, stream.status
        time.sleep(0.1)


def test_a_frozen_bus_ends_the_streams_within_5_s_and_they_come_back(
    app: Any, server: RedisServer
) -> None:
    host = ApiPlayer(app.test_client(), unique("p")[:20]).register()
    opponent = ApiPlayer(app.test_client(), unique("p")[:20]).register()
    game = opponent.accept(host.invite(opponent))
    watching = [
        opened(app, host, game_events(game), WAIT),
        opened(app, opponent, "/api/me/events", WAIT),
    ]
    later: list[EventStream] = []
    try:
        for stream in watching:
            started(stream)
        server.pause()
        frozen = time.monotonic()
        try:
            for stream in watching:  # each is told why, then ends: its page polls at once
                ended = stream.wait_for_end(NOTICED_WITHIN + 2)
                down = [m for m in ended if m.event == "down"]
                assert down and down[0].json()["reason"] == "the bus went down", ended
            took = time.monotonic() - frozen
            assert took < NOTICED_WITHIN, f"noticed after {took:.1f} s"
            for path in (game_events(game), "/api/me/events"):  # new streams: 503
                refused = EventStream(other_tab(app, host), path)
                later.append(refused)
                assert refused.status == 503 and int(refused.headers["Retry-After"]) >= 1
            moved = opponent.move(game, 4)  # moves go on, as ever
            assert moved.status_code == 200
        finally:
            server.resume()
        again = opened(app, host, game_events(game), 15)
        later.append(again)
        assert started(again).json() == moved.get_json()  # what it missed, at once
        mine = opened(app, opponent, "/api/me/events", 15)
        later.append(mine)
        started(mine)
        moved = host.move(game, 0)
        assert again.next_event().json() == moved.get_json() == mine.next_event().json()
    finally:
        for stream in watching + later:
            stream.close()
