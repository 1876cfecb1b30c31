"""Two instances on one bus: each listens to what its own streams need, and nothing else.

Two apps on the same tables and the module's redis-server stand in for two instances. What
the bus itself says (PUBSUB SHARDNUMSUB: how many connections listen to a channel) shows
which instance hears which game and player; the streams show that nothing is lost: a move
made on one instance reaches the streams open on the other. A third "instance" plays the
release before this one (the old single channel, as its bus published), as during a deploy.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

from tests.conftest import make_settings, unique
from tests.support.players import ApiPlayer, signed_in
from tests.support.streams import eventually, game_events, push_app, started, watch
from tictactoe.adapters import bus as buses
from tictactoe.rules import notices
from tictactoe.web import streams


@pytest.fixture(autouse=True)
def heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)


@pytest.fixture
def instances(moto: None, bus_url: str) -> tuple[Any, Any]:
    """Two instances of one environment: the same tables, secret and bus."""
    settings = make_settings()
    return push_app(settings, bus_url), push_app(settings, bus_url)


@pytest.fixture
def raw(bus_url: str) -> Any:
    client = redis.Redis.from_url(bus_url)
    yield client
    client.close()


def listeners(raw: Any, *channels: str) -> list[int]:
    """How many connections listen to each of `channels` now."""
    answer = raw.execute_command("PUBSUB", "SHARDNUMSUB", *channels)
    counts = dict(zip(answer[::2], answer[1::2], strict=True))
    return [int(counts[c.encode()]) for c in channels]


def test_only_the_instance_with_watchers_listens_and_lets_go_when_they_close(
    instances: tuple[Any, Any], raw: Any
) -> None:
    a, b = instances
    host = ApiPlayer(a.test_client(), unique("p")[:20]).register()
    opponent = ApiPlayer(a.test_client(), unique("p")[:20]).register()
    game = opponent.accept(host.invite(opponent))
    channels = [f"tt:g:{game['id']}", f"tt:p:{opponent.name}", f"tt:s:{host.name}"]
    channels += [f"tt:s:{opponent.name}", f"tt:p:{host.name}"]
    with (
        watch(a, host, game_events(game)) as page,
        watch(a, opponent, "/api/me/events") as home,
    ):
        started(page), started(home)
        # Instance a: the game (host's page), the opponent (home), both players' sessions.
        assert listeners(raw, *channels) == [1, 1, 1, 1, 0]
        moved = signed_in(b, opponent.name).move(game, 4)  # on the other instance
        assert moved.status_code == 200
        assert page.next_event().json() == moved.get_json() == home.next_event().json()
    eventually(lambda: listeners(raw, *channels) == [0, 0, 0, 0, 0])


def test_a_move_on_an_instance_of_the_release_before_reaches_a_new_instances_stream(
    instances: tuple[Any, Any], raw: Any
) -> None:
    a, old = instances
    host = ApiPlayer(a.test_client(), unique("p")[:20]).register()
    opponent = ApiPlayer(a.test_client(), unique("p")[:20]).register()
    game = opponent.accept(host.invite(opponent))
    # As the release before published: the notice, signed, on the one channel, and no other.
    key = notices.key("test-secret-key")
    old.extensions["tictactoe"].games.announce = lambda notice: raw.publish(
        buses.CHANNEL, notices.encode(notice, key)
    )
    with watch(a, host, game_events(game)) as page:
        started(page)
        moved = signed_in(old, opponent.name).move(game, 4)
        assert moved.status_code == 200
        assert page.next_event().json() == moved.get_json()
        page.no_event_for(0.3)  # once


def test_a_move_on_a_new_instance_reaches_an_old_instances_listener(
    instances: tuple[Any, Any], raw: Any
) -> None:
    a, _ = instances
    host = ApiPlayer(a.test_client(), unique("p")[:20]).register()
    opponent = ApiPlayer(a.test_client(), unique("p")[:20]).register()
    game = opponent.accept(host.invite(opponent))
    old = raw.pubsub()  # an old instance's stream process: the one channel, all of it
    try:
        old.subscribe(buses.CHANNEL)
        assert old.get_message(timeout=5)["type"] == "subscribe"
        assert opponent.move(game, 4).status_code == 200  # X, the opponent, moves first
        # The accept's own notice may come first: a thread sends them, and it can still have
        # been on its way when the subscription began. The move's comes next.
        for _ in range(2):
            message = old.get_message(timeout=5)
            assert message is not None and message["type"] == "message"
            # As the release before decodes it: the game as written, signed, no read needed.
            heard = notices.decode(message["data"], (notices.key("test-secret-key"),))
            assert isinstance(heard, notices.Changed) and heard.game is not None
            assert heard.game_id == game["id"]
            if heard.game.moves:  # not the accept's
                break
        assert heard.game.board[4] == "X"
    finally:
        old.close()
