"""Live updates over Server-Sent Events: GET /api/games/<id>/events and GET /api/me/events.

Real parts: a redis-server of this module's own carries the notices (devstack/redis_server.py),
the app runs on moto (one test on DynamoDB Local too), and each stream is read as it comes by
a thread of its own (tests/support/streams.py). HEARTBEAT is made short, so the keep-alive
comments come in a fraction of a second and a reader can stop at once. Every stream is
closed by the end of its test. Responses are checked against the OpenAPI document.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.conftest import make_settings, passthrough, unique
from tests.layers.test_maintenance import read_only_app
from tests.support.openapi import CheckedClient
from tests.support.players import PASSWORD, ApiPlayer, signed_in
from tests.support.streams import (
    EventStream,
    Message,
    game_events,
    push_app,
    started,
    tab,
    watch,
)
from tictactoe import create_app
from tictactoe.rules import notices
from tictactoe.services import games as gameplay
from tictactoe.services import hub as hubs
from tictactoe.web import streams

REAL_HEARTBEAT = streams.HEARTBEAT  # before the fixture below shortens it
WIN = [(0, "x"), (3, "o"), (1, "x"), (4, "o"), (2, "x")]  # X (the opponent) takes the top row


@pytest.fixture(autouse=True)
def heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "HEARTBEAT", 0.05)


@pytest.fixture
def app(moto: None, bus_url: str) -> Any:
    """The app on moto with push on (the module's redis-server)."""
    return push_app(make_settings(), bus_url)


@pytest.fixture
def player(app: Any) -> Any:
    def make(name: str | None = None) -> ApiPlayer:
        return ApiPlayer(app.test_client(), name or unique("p")[:20]).register()

    return make


def current(who: ApiPlayer, game_id: str) -> tuple[str, dict[str, Any]]:
    """GET the game: its ETag without the quotes, and its JSON."""
    response = who.call("GET", f"/api/games/{game_id}")
    assert response.status_code == 200
    return response.headers["ETag"].strip('"'), response.get_json()


def same_as_get(event: Message, who: ApiPlayer) -> dict[str, Any]:
    """Assert `event` is the game as GET shows it now (ETag and JSON); return the JSON."""
    assert event.event == "game"
    tag, body = current(who, event.json()["id"])
    assert (event.id, event.json()) == (tag, body)
    return body


# -- a game's stream ----------------------------------------------------------------------


def test_a_game_stream_starts_at_once_with_the_game_as_get_shows_it(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    with watch(app, host, game_events(game)) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert stream.headers["Cache-Control"] == "no-store"  # no cache may keep it
        first = started(stream)
        assert first.event == "game"
        assert same_as_get(first, host) == game  # id: the ETag, without its quotes


def test_every_change_is_one_event_with_the_state_get_shows(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    invitation = host.invite(opponent)
    with watch(app, host, game_events(invitation)) as stream:
        assert same_as_get(stream.next_event(), host)["status"] == "PENDING"
        opponent.accept(invitation)
        assert same_as_get(stream.next_event(), host)["status"] == "IN_PROGRESS"
        for n, (cell, mark) in enumerate(WIN, start=1):
            moved = (opponent if mark == "x" else host).move(invitation, cell).get_json()
            event = stream.next_event()
            assert event.json() == moved and len(moved["moves"]) == n
            assert event.id == current(host, invitation["id"])[0]
        assert moved["status"] == "FINISHED" and moved["winner"] == opponent.name
        asked = host.call("POST", f"/api/games/{invitation['id']}/rematch")
        assert asked.status_code == 201
        named = same_as_get(stream.next_event(), host)
        assert named["rematch"] == asked.get_json()["id"]  # the finished game names it
        stream.no_event_for(0.3)  # one event per change, no more


@pytest.mark.parametrize("ending", ["resign", "claim"])
def test_a_resignation_or_a_claim_is_an_event(app: Any, player: Any, ending: str) -> None:
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))  # the opponent (X) is to move
    with watch(app, host, game_events(game)) as stream:
        stream.next_event()
        if ending == "claim":
            later = time.time() + 4 * 24 * 3600  # past the turn timeout
            app.extensions["tictactoe"].games.clock = lambda: later
        assert host.call("POST", f"/api/games/{game['id']}/{ending}").status_code == 200
        ended = same_as_get(stream.next_event(), host)
        assert ended["status"] == "FINISHED"
        assert ended["winner"] == (opponent.name if ending == "resign" else host.name)


def test_a_notice_landing_between_open_and_read_is_sent_once(
    app: Any, player: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The accept's notice reaches the hub after the stream opened, before its first read."""
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    hub = app.extensions["tictactoe"].hub
    read = gameplay.game

    def late(games: Any, game_id: str, at_least: int = 0) -> Any:
        found = read(games, game_id, at_least)
        hub._on_notice(notices.changed(found))  # as the subscription thread would
        return found

    monkeypatch.setattr(gameplay, "game", late)
    with watch(app, host, game_events(game)) as stream:
        assert same_as_get(started(stream), host) == game
        stream.no_event_for(0.3)  # the same version once, not twice
        assert host.call("POST", f"/api/games/{game['id']}/resign").status_code == 200
        assert same_as_get(stream.next_event(), host)["status"] == "FINISHED"


def test_anyone_who_may_get_the_game_may_follow_it(app: Any, player: Any) -> None:
    host, opponent, onlooker = player(), player(), player()
    game = opponent.accept(host.invite(opponent))
    with watch(app, onlooker, game_events(game)) as stream:
        assert same_as_get(stream.next_event(), onlooker) == game
        moved = opponent.move(game, 4).get_json()
        assert stream.next_event().json() == moved


def test_signed_out_is_401_and_an_unknown_game_is_404(app: Any, player: Any) -> None:
    game = player().invite(player())
    stranger = app.test_client()
    for path in (game_events(game), "/api/me/events"):
        refused = EventStream(stranger, path)
        assert refused.status == 401 and refused.body["error"]
        refused.close()
    unknown = EventStream(tab(app, player()), game_events("NoSuchGame123"))
    assert unknown.status == 404 and unknown.body["error"]
    unknown.close()
    assert app.extensions["tictactoe"].hub.count() == 0  # no stream was opened for them


def test_comments_keep_a_quiet_stream_open(app: Any, player: Any) -> None:
    assert REAL_HEARTBEAT <= 20  # a comment at least every 20 s, nginx and the ALB wait 60
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    for path in (game_events(game), "/api/me/events"):
        with watch(app, host, path) as stream:
            comments = [m for m in (stream.next() for _ in range(6)) if m and m.comments]
            assert any("keep-alive" in m.comments for m in comments), comments
            stream.no_event_for(0.2)


def test_a_reconnect_with_last_event_id_gets_the_current_state_first(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    with watch(app, host, game_events(game)) as stream:
        seen = stream.next_event().id
    opponent.move(game, 4)
    host.move(game, 0)  # two changes while the page was away
    with watch(app, host, game_events(game), **{"Last-Event-ID": seen or ""}) as again:
        first = again.next_event()
        assert first.id != seen and same_as_get(first, host)["moves"] == [4, 0]
        opponent.move(game, 8)
        assert again.next_event().json()["moves"] == [4, 0, 8]


def test_a_gone_game_ends_its_stream(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    invitation = host.invite(opponent)
    with watch(app, host, game_events(invitation)) as stream:
        stream.next_event()
        assert host.call("POST", f"/api/games/{invitation['id']}/cancel").status_code == 204
        gone = stream.next_event()
        assert (gone.event, gone.json()) == ("gone", {"id": invitation["id"]})
        stream.wait_for_end()


# -- a player's own stream -----------------------------------------------------------------


def test_my_stream_carries_every_game_i_am_in_and_no_one_elses(app: Any, player: Any) -> None:
    me, friend, third = player(), player(), player()
    with watch(app, me, "/api/me/events") as mine:
        assert started(mine) == Message(comments=("connected",))

        def next_game() -> dict[str, Any]:
            event = mine.next_event()
            assert event.event == "game"
            return same_as_get(event, me)

        third.invite(friend)  # someone else's invitation: never on my stream
        received = friend.invite(me)
        assert next_game()["id"] == received["id"]  # an invitation received
        assert friend.call("POST", f"/api/games/{received['id']}/cancel").status_code == 204
        assert mine.next_event().json() == {"id": received["id"]}  # withdrawn: gone
        declined = friend.invite(me)
        assert next_game()["id"] == declined["id"]
        assert me.call("POST", f"/api/games/{declined['id']}/reject").status_code == 204
        gone = mine.next_event()
        assert (gone.event, gone.json()) == ("gone", {"id": declined["id"]})

        challenge = me.call("POST", "/api/challenges").get_json()
        assert next_game()["opponent"] is None
        third.accept(challenge)  # a challenge taken
        taken = next_game()
        assert (taken["id"], taken["opponent"]) == (challenge["id"], third.name)

        sent = me.invite(friend)
        assert next_game()["status"] == "PENDING"
        friend.accept(sent)  # accepted
        assert next_game()["status"] == "IN_PROGRESS"
        for n, (cell, mark) in enumerate(WIN, start=1):
            (friend if mark == "x" else me).move(sent, cell)
            shown = next_game()
            assert (shown["id"], len(shown["moves"])) == (sent["id"], n)
        assert shown["status"] == "FINISHED" and shown["winner"] == friend.name  # a finish
        offered = friend.call("POST", f"/api/games/{sent['id']}/rematch").get_json()
        # Two games changed: the finished one names its rematch, and the rematch is offered.
        # Each game's events come in order; two games' may come either way round.
        named, invited = sorted((next_game(), next_game()), key=lambda g: g["id"] != sent["id"])
        assert (named["id"], named["rematch"]) == (sent["id"], offered["id"])
        assert (invited["id"], invited["host"]) == (offered["id"], friend.name)

        fourth = player()  # nor anything else of theirs: games of two others
        fourth.accept(friend.invite(fourth))
        friend.accept(third.call("POST", "/api/challenges").get_json())
        mine.no_event_for(0.5)


def test_two_players_streams_each_get_their_own_games(app: Any, player: Any) -> None:
    alice, bob, carol = player(), player(), player()
    with (
        watch(app, alice, "/api/me/events") as alices,
        watch(app, bob, "/api/me/events") as bobs,
        watch(app, carol, "/api/me/events") as carols,
    ):
        # Named in another letter case: the game, and so the notice, name the account as it is.
        game = alice.call("POST", "/api/games", {"opponent": bob.name.upper()}).get_json()
        assert alices.next_event().json()["id"] == bobs.next_event().json()["id"] == game["id"]
        to_carol = alice.invite(carol)
        assert (
            alices.next_event().json()["id"] == carols.next_event().json()["id"] == to_carol["id"]
        )
        bobs.no_event_for(0.3)  # alice's invitation to carol is none of bob's business


# -- limits and revocation -----------------------------------------------------------------


def test_at_most_eight_streams_per_player_then_429(app: Any, player: Any) -> None:
    me, other = player(), player()
    game = other.invite(me)
    paths = [game_events(game), "/api/me/events"] * (hubs.MAX_PER_PLAYER // 2)
    opened = [watch(app, me, path) for path in paths]
    try:
        assert len(opened) == hubs.MAX_PER_PLAYER == 8
        for path in (game_events(game), "/api/me/events"):
            ninth = EventStream(tab(app, me), path)
            assert ninth.status == 429, ninth.body
            assert int(ninth.headers["Retry-After"]) >= 1 and ninth.body["error"]
            ninth.close()
        with watch(app, other, "/api/me/events"):  # another player is not counted with me
            pass
        opened.pop().close()  # a page closed: its place is free again
        with watch(app, me, "/api/me/events") as again:
            again.next(1.0)
    finally:
        for stream in opened:
            stream.close()


def test_a_body_never_read_leaves_no_stream_open(app: Any, player: Any) -> None:
    """HEAD answers as GET does, without a body: the stream it opened is forgotten at once."""
    me, other = player(), player()
    game = other.invite(me)
    hub = app.extensions["tictactoe"].hub
    client = tab(app, me)
    for _ in range(hubs.MAX_PER_PLAYER + 2):  # more than the limit: none of them is kept
        for path in (game_events(game), "/api/me/events"):
            head = client.head(path)
            assert head.status_code == 200 and head.get_data() == b""
            assert head.mimetype == "text/event-stream"
            head.close()  # as every WSGI server does once the response is sent
            assert hub.count() == 0
    with watch(app, me, "/api/me/events") as stream:  # not 429
        started(stream)
    assert eventually_count(app, 0)  # a closed stream is forgotten


def change_password(who: ApiPlayer) -> Any:
    body = {"current_password": PASSWORD, "new_password": "another horse battery"}
    return who.call("POST", "/api/me/password", body)


REVOKING = {
    "password change": change_password,
    "sign out everywhere": lambda who: who.call("POST", "/api/me/sessions/revoke"),
    "account deletion": lambda who: who.call("DELETE", "/api/me", {"password": PASSWORD}),
}


@pytest.mark.parametrize("revoke", REVOKING.values(), ids=REVOKING.keys())
def test_a_revoked_session_loses_its_streams_at_once(
    app: Any, player: Any, monkeypatch: pytest.MonkeyPatch, revoke: Any
) -> None:
    monkeypatch.setattr(streams, "RECHECK_SECONDS", 3600)  # the notice, not the backstop
    me, other = player(), player()
    game = other.accept(me.invite(other))
    elsewhere = signed_in(app, me.name)  # another device, its own session
    mine = [watch(app, me, game_events(game)), watch(app, elsewhere, "/api/me/events")]
    theirs = watch(app, other, game_events(game))
    try:
        for stream in [*mine, theirs]:
            started(stream)
        assert revoke(me).status_code == 204
        for stream in mine:
            ended = stream.wait_for_end()
            assert any("closed, the session ended" in m.comments for m in ended), ended
        if revoke is REVOKING["account deletion"]:  # their game ends as my resignation
            assert theirs.next_event().json()["winner"] == other.name
        theirs.no_event_for(0.2)  # still open, and told nothing else
        assert eventually_count(app, 1)  # the other player's stream alone is open
    finally:
        for stream in [*mine, theirs]:
            stream.close()


def eventually_count(app: Any, count: int) -> bool:
    hub = app.extensions["tictactoe"].hub
    deadline = time.monotonic() + 5
    while hub.count() != count and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(hub.count() == count)


# -- push off, maintenance, DynamoDB Local, the document -----------------------------------


def test_without_push_both_streams_are_503_and_the_game_still_answers(moto: None) -> None:
    plain = create_app(make_settings())  # no [push].url
    plain.config["TESTING"] = True
    plain.test_client_class = CheckedClient
    host = ApiPlayer(plain.test_client(), unique("p")[:20]).register()
    opponent = ApiPlayer(plain.test_client(), unique("p")[:20]).register()
    game = opponent.accept(host.invite(opponent))
    assert plain.extensions["tictactoe"].hub is None
    for path in (game_events(game), "/api/me/events"):
        refused = EventStream(tab(plain, host), path)
        assert refused.status == 503 and int(refused.headers["Retry-After"]) >= 1
        assert refused.body["error"]
        refused.close()
    assert opponent.move(game, 4).status_code == 200
    assert current(host, game["id"])[1]["moves"] == [4]
    assert host.call("GET", "/api/games").status_code == 200


def test_maintenance_mode_keeps_streams_working(
    app: Any, player: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    settings = app.extensions["tictactoe"].settings
    read_only = read_only_app(settings, monkeypatch)  # push on, as `settings` says
    assert read_only.extensions["tictactoe"].hub is not None
    with (
        watch(read_only, host, game_events(game)) as stream,
        watch(read_only, host, "/api/me/events") as mine,
    ):
        assert stream.next_event().json()["id"] == game["id"]
        refused = ApiPlayer(tab(read_only, opponent), opponent.name)
        refused.refresh_csrf()
        assert refused.move(game, 4).status_code == 503  # read-only: no move here
        # A write outside this instance (its last writes, an operator's tool) still reaches it.
        assert opponent.move(game, 4).status_code == 200
        assert stream.next_event().json()["moves"] == [4]
        assert mine.next_event().json()["moves"] == [4]


@pytest.fixture
def local_push_app(dynamodb_local_url: str, bus_url: str) -> Iterator[Any]:
    with mock_aws(config=passthrough(dynamodb_local_url)):
        yield push_app(make_settings(endpoint=dynamodb_local_url), bus_url)


def test_a_game_stream_on_dynamodb_local(local_push_app: Any) -> None:
    app = local_push_app
    host = ApiPlayer(app.test_client(), unique("p")[:20]).register()
    opponent = ApiPlayer(app.test_client(), unique("p")[:20]).register()
    game = opponent.accept(host.invite(opponent))
    with watch(app, host, game_events(game)) as stream, watch(app, host, "/api/me/events") as me:
        assert same_as_get(stream.next_event(), host) == game
        for cell, mark in WIN[:3]:
            moved = (opponent if mark == "x" else host).move(game, cell).get_json()
            assert stream.next_event().json() == moved == me.next_event().json()


def test_the_document_describes_both_streams(app: Any) -> None:
    doc = app.test_client().get("/api/openapi.json").get_json()
    for path, statuses in (
        ("/api/games/{game_id}/events", {"200", "401", "404", "429", "503"}),
        ("/api/me/events", {"200", "401", "429", "503"}),
    ):
        responses = doc["paths"][path]["get"]["responses"]
        assert statuses <= set(responses), path
        assert set(responses["200"]["content"]) == {"text/event-stream"}
        for status in ("429", "503"):
            assert "Retry-After" in responses[status]["headers"]


# -- a page's tab -------------------------------------------------------------------------


def test_a_tabs_next_stream_replaces_its_last_which_is_told(app: Any, player: Any) -> None:
    me, other = player(), player()
    game = other.invite(me)
    home = watch(app, me, "/api/me/events?tab=tab00001")
    try:
        started(home)
        with watch(app, me, f"{game_events(game)}?tab=tab00001") as page:  # the tab's next page
            assert started(page).event == "game"
            ended = home.wait_for_end()
            told = [m for m in ended if m.event == "replaced"]
            assert told and told[0].json()["reason"], ended
            assert app.extensions["tictactoe"].hub.count() == 1
    finally:
        home.close()


def test_clicking_between_pages_every_second_never_gets_a_429(app: Any, player: Any) -> None:
    """22 page loads in one tab, each leaving a stream that its server has not seen close (the
    test client's stream stays open until closed). No pause between them: what matters is that
    none is closed first; tests/e2e/test_news.py clicks a second apart in Chromium."""
    me, other = player(), player()
    game = other.invite(me)
    loads: list[EventStream] = []
    try:
        for n in range(22):
            path = game_events(game) if n % 2 else "/api/me/events"
            load = EventStream(tab(app, me), f"{path}?tab=clicking-tab")
            loads.append(load)
            assert load.status == 200, (n, load.status, load.body)
            started(load)
        assert app.extensions["tictactoe"].hub.count() == 1
    finally:
        for load in loads:
            load.close()


@pytest.mark.parametrize("bad", ["short", "x" * 65, "has space!", "ünïcode-tab"])
def test_a_tab_that_is_not_an_id_is_400(app: Any, player: Any, bad: str) -> None:
    me = player()
    for path in ("/api/me/events", game_events(me.invite(player()))):
        refused = EventStream(tab(app, me), path, query={"tab": bad})
        assert refused.status == 400 and refused.body["error"], (bad, refused.body)
        refused.close()
    assert app.extensions["tictactoe"].hub.count() == 0
