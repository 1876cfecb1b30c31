"""GET /health answers for the tables only: the push bus, down or never there, must not take
an instance out of the load balancer (the pages poll instead), nor fail a deploy's health
check.

A bus outage would otherwise take every instance out at once: they all share the one bus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack import processes, redis_server
from tests.conftest import make_settings, unique
from tests.support.players import ApiPlayer
from tests.support.streams import EventStream, push_app, running_redis, tab
from tictactoe.adapters import bus as buses
from tictactoe.web import health, streams


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "CACHE_SECONDS", 0.0)  # every /health looks afresh
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)
    monkeypatch.setattr(buses, "BACKOFF", (0.05, 0.1, 0.2))


def new_player(app: Any) -> ApiPlayer:
    return ApiPlayer(app.test_client(), unique("h")[:20]).register()


def refused_stream(app: Any, player: ApiPlayer) -> int:
    """The status of a new stream, as a page opening one would get it."""
    stream = EventStream(tab(app, player), "/api/me/events")
    stream.close()
    return stream.status


def test_health_stays_200_while_the_bus_is_down(moto: None, tmp_path: Path) -> None:
    with running_redis(tmp_path) as server:
        app = push_app(make_settings(), server.url)
        player = new_player(app)
        with EventStream(tab(app, player), "/api/me/events") as open_stream:
            assert open_stream.status == 200
            assert app.test_client().get("/health").status_code == 200
            server.stop()
            ended = open_stream.wait_for_end()  # the app saw the bus go down
            assert any("closed, the bus went down" in m.comments for m in ended), ended
        assert refused_stream(app, player) == 503  # down as the pages see it: they poll
        response = app.test_client().get("/health")
        assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_health_is_200_when_the_bus_was_never_there(moto: None) -> None:
    """A fresh instance whose bus does not answer still starts and serves (by polling)."""
    app = push_app(make_settings(), redis_server.url(processes.free_port()))  # nothing listens
    assert refused_stream(app, new_player(app)) == 503
    assert app.test_client().get("/health").status_code == 200
