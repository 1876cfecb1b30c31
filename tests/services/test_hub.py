"""The hub (tictactoe/services/hub.py): which stream gets which notice, and when streams end.

No Redis and no DynamoDB: a fake bus hands the hub its notices and its up/down state, as the
subscription thread would, and the games are read from a dict (counting the reads).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tictactoe.rules import notices
from tictactoe.rules.board import Game
from tictactoe.rules.notices import Changed, Gone, Notice, Revoked, Topic
from tictactoe.services import hub as hubs
from tictactoe.services import stream as kept
from tictactoe.services.hub import Closed, Down, Event, Hub, Stream, TooManyStreams
from tictactoe.store import NotFound, Unavailable

WAIT = 5.0  # for what the hub's readers should deliver at once
QUIET = 0.2  # how long "nothing comes" is watched for


class FakeBus:
    """Stands in for tictactoe.adapters.bus.Bus: the test says what the subscription hears.

    Like the bus, it hears a topic only while subscribed to it, and confirms each subscription
    at once (or never, when `confirming` is False); `tell` publishes as the bus does.
    """

    def __init__(self, up: bool = True) -> None:
        self.up = up
        self.on_notice: Callable[[Notice, Topic | None], None] = lambda notice, topic: None
        self.on_state: Callable[[bool], None] = lambda up: None
        self.listens = 0
        self.topics: set[Topic] = set()
        self.commands: list[tuple[str, Topic]] = []
        self.confirming = True

    def listen(self, on_notice: Callable[[Notice, Topic | None], None], on_state: Any) -> Any:
        self.on_notice, self.on_state = on_notice, on_state
        self.listens += 1
        if self.up:
            on_state(True)

    def subscribe(self, topics: Any) -> None:
        for topic in topics:
            self.topics.add(topic)
            self.commands.append(("subscribe", topic))

    def unsubscribe(self, topics: Any) -> None:
        for topic in topics:
            self.topics.discard(topic)
            self.commands.append(("unsubscribe", topic))

    def marks(self, topics: Any) -> dict[Topic, int]:
        return dict.fromkeys(topics, 0)

    def confirmed(self, marks: Any, timeout: float) -> bool:
        return self.confirming

    def tell(self, notice: Notice) -> None:
        for topic in notices.topics(notice):
            if topic in self.topics:
                self.on_notice(notice, topic)

    def tell_legacy(self, notice: Notice) -> None:
        """As an instance of the release before heard on the old single channel."""
        self.on_notice(notice, None)


class Games:
    """The Games table as the hub reads it: (game id, at least version) -> game."""

    def __init__(self) -> None:
        self.games: dict[str, Game] = {}
        self.reads: list[tuple[str, int]] = []
        self.fail: Exception | None = None
        self._lock = threading.Lock()

    def add(self, game_id: str, host: str, opponent: str | None, version: int = 1) -> Game:
        game = replace(
            Game.invitation(game_id, host, opponent, "2026-01-01T00:00:00Z"), version=version
        )
        self.games[game_id] = game
        return game

    def bump(self, game_id: str) -> Game:
        self.games[game_id] = replace(self.games[game_id], version=self.games[game_id].version + 1)
        return self.games[game_id]

    def read(self, game_id: str, at_least: int) -> Game:
        with self._lock:
            self.reads.append((game_id, at_least))
        if self.fail is not None:
            raise self.fail
        if game_id not in self.games:
            raise NotFound("no such game")
        return self.games[game_id]


@pytest.fixture
def games() -> Games:
    return Games()


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def hub(bus: FakeBus, games: Games) -> Hub:
    return Hub(bus, games.read)  # type: ignore[arg-type]


def changed(game: Game) -> Changed:
    return Changed(game.id, game.version, tuple(p for p in (game.host, game.opponent) if p))


def got(stream: Stream, wait: float = WAIT) -> Event | Closed:
    item = stream.next(wait)
    assert item is not None, "nothing came"
    return item


def nothing(stream: Stream, wait: float = QUIET) -> None:
    assert stream.next(wait) is None


# -- fan-out ------------------------------------------------------------------------------


def test_a_game_stream_gets_its_game_only(hub: Hub, bus: FakeBus, games: Games) -> None:
    mine, other = games.add("game0001", "alice", "bob"), games.add("game0002", "carol", "dave")
    stream = hub.open("zoe", 0, mine.id)  # a watcher: not a player of it
    bus.tell(changed(other))
    bus.tell(Gone(other.id, ("carol", "dave")))
    bus.tell(changed(games.bump(mine.id)))
    event = got(stream)
    assert isinstance(event, Event) and event.game == games.games[mine.id]
    nothing(stream)
    assert [r[0] for r in games.reads] == [mine.id]  # a game no stream watches is not read


def test_a_players_stream_gets_the_games_naming_them_only(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    stream = hub.open("alice", 0)
    hers, theirs = games.add("game0001", "bob", "alice"), games.add("game0002", "bob", "carol")
    challenge = games.add("game0003", "alice", None)  # hers, though it names no opponent
    bus.tell(changed(theirs))
    bus.tell(changed(hers))
    assert got(stream) == Event(hers.id, hers)
    bus.tell(changed(challenge))
    assert got(stream) == Event(challenge.id, challenge)
    bus.tell(Gone(theirs.id, ("bob", "carol")))
    bus.tell(Gone(hers.id, ("bob", "alice")))
    assert got(stream) == Event(hers.id, None)  # gone: no read
    nothing(stream)
    assert theirs.id not in {r[0] for r in games.reads}


def test_each_notice_is_read_once_for_every_stream_that_wants_it(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    game = games.add("game0001", "alice", "bob", version=3)
    streams = [
        hub.open("alice", 0, game.id),
        hub.open("alice", 0),
        hub.open("bob", 0),
        hub.open("zoe", 0, game.id),
    ]
    bus.tell(changed(game))
    for stream in streams:
        assert got(stream) == Event(game.id, game)
    assert games.reads == [(game.id, 3)]  # once, asking for at least the notice's version


def test_a_notice_that_carries_its_game_is_sent_without_a_read(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    game = games.add("game0001", "alice", "bob", version=2)
    streams = [hub.open("alice", 0, game.id), hub.open("bob", 0), hub.open("zoe", 0, game.id)]
    moved = replace(game, version=3, board="X--------")  # as the write returned it
    bus.tell(notices.changed(moved))
    for stream in streams:
        assert got(stream) == Event(game.id, moved)
    bus.tell(notices.changed(game))  # an older change arriving late: never sent after a newer
    bus.tell(notices.changed(moved))  # the same change from a second instance: sent once
    for stream in streams:
        nothing(stream)
    assert games.reads == []


def test_a_stream_gets_each_version_once_and_never_an_older_one(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    game = games.add("game0001", "alice", "bob", version=1)
    stream = hub.open("alice", 0, game.id)
    assert stream.fresh(game)  # what the stream started with (streams.py does this)
    bus.tell(changed(game))  # the notice of the state it started with
    nothing(stream)
    newer = games.bump(game.id)
    bus.tell(changed(newer))
    bus.tell(changed(newer))  # told twice (two instances, or a retry)
    assert got(stream) == Event(game.id, newer)
    nothing(stream)
    games.games[game.id] = game  # a stale read: an older version than sent already
    bus.tell(Changed(game.id, 1, ("alice", "bob")))
    nothing(stream)


def test_a_read_newer_than_its_notice_is_sent_and_that_notice_is_then_stale(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    game = games.add("game0001", "alice", "bob", version=1)
    stream = hub.open("bob", 0)
    games.bump(game.id)
    latest = games.bump(game.id)  # version 3 by the time the hub reads
    bus.tell(Changed(game.id, 2, ("alice", "bob")))
    assert got(stream) == Event(game.id, latest)
    bus.tell(Changed(game.id, 3, ("alice", "bob")))
    nothing(stream)


def test_a_player_stream_remembers_a_bounded_number_of_games(hub: Hub, games: Games) -> None:
    stream = hub.open("alice", 0)
    for n in range(10 * kept.QUEUE):
        assert stream.fresh(games.add(f"game{n:04}", "alice", "bob"))
    assert len(stream.sent) <= 4 * kept.QUEUE


# -- two web workers publishing one game's changes out of order ------------------------------
# Worker B's change (version 3) reaches the bus before worker A's (version 2). A player's own
# stream, which remembers a bounded number of games, must still never send 2 after 3: the
# page would end on the older state and the change of version 3 would be lost to it.


def _fill(hub: Hub, bus: FakeBus, games: Games, stream: Stream, first: int, count: int) -> None:
    """Tell `stream`'s player of `count` new games of theirs, each sent once (as they play)."""
    for n in range(first, first + count):
        game = games.add(f"other{n:04}", "carol", "bob")
        bus.tell(notices.changed(game))
        assert got(stream) == Event(game.id, game)


def test_a_players_stream_never_goes_back_to_a_state_older_than_it_sent(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    stream = hub.open("bob", 0)
    game = games.add("game0001", "alice", "bob")
    bus.tell(notices.changed(game))
    assert got(stream) == Event(game.id, game)  # the first game its stream remembers
    _fill(hub, bus, games, stream, 0, 4 * kept.QUEUE - 1)  # its memory is full
    b, a = replace(game, version=3, board="XO-------"), replace(game, version=2, board="X--------")
    bus.tell(notices.changed(b))  # worker B's change first
    assert got(stream) == Event(game.id, b)
    _fill(hub, bus, games, stream, 4 * kept.QUEUE, 1)  # one more game: one is forgotten
    bus.tell(notices.changed(a))  # worker A's, late
    nothing(stream)  # (forgetting the game changed last, it sent version 2 after 3)


def test_no_stream_goes_back_even_once_its_memory_forgot_the_game(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    stream = hub.open("bob", 0)
    game = games.add("game0001", "alice", "bob", version=3)
    bus.tell(notices.changed(game))
    assert got(stream) == Event(game.id, game)
    _fill(hub, bus, games, stream, 0, 4 * kept.QUEUE + 1)  # it forgot game0001 for sure
    assert game.id not in stream.sent
    bus.tell(notices.changed(replace(game, version=2)))  # signed, late
    bus.tell(Changed(game.id, 2, ("alice", "bob")))  # unsigned, late: no read needed either
    nothing(stream)
    assert games.reads == []


# -- topics: a process hears what its streams need ----------------------------------------


def test_streams_subscribe_to_what_they_need_and_the_last_to_close_unsubscribes(
    hub: Hub, bus: FakeBus
) -> None:
    game, own = Topic("g", "game0001"), Topic("p", "alice")
    sessions = Topic("s", "alice")
    first = hub.open("alice", 0, "game0001")
    assert bus.topics == {game, sessions}
    second = hub.open("alice", 0, "game0001")  # another tab on the same game
    mine = hub.open("alice", 0)
    assert bus.topics == {game, own, sessions}
    assert [c for c in bus.commands if c[0] == "subscribe"].count(("subscribe", game)) == 1
    hub.close(first)
    hub.close(first)  # closed twice (its response and its generator): counted once
    assert bus.topics == {game, own, sessions}
    hub.close(second)
    assert bus.topics == {own, sessions}
    hub.close(mine)
    assert bus.topics == set() and hub.topics() == set()


def test_a_tabs_next_stream_keeps_the_topics_its_last_one_shared(hub: Hub, bus: FakeBus) -> None:
    hub.open("alice", 0, "game0001", tab="tab-00001")
    before = list(bus.commands)
    hub.open("alice", 0, "game0001", tab="tab-00001")  # a reload of the same page
    assert bus.commands == before  # nothing unsubscribed and subscribed again


def test_a_stream_whose_subscription_is_not_confirmed_is_refused(hub: Hub, bus: FakeBus) -> None:
    hub.open("bob", 0)
    bus.confirming = False  # the bus takes the command and never confirms it
    with pytest.raises(Down):
        hub.open("alice", 0, "game0001")
    assert hub.count() == 1 and bus.topics == {Topic("p", "bob"), Topic("s", "bob")}


def test_each_stream_gets_a_change_once_though_its_process_hears_it_on_three_topics(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    game = games.add("game0001", "alice", "bob")
    streams = [hub.open("alice", 0, game.id), hub.open("alice", 0), hub.open("bob", 0)]
    moved = replace(game, version=2)
    bus.tell(notices.changed(moved))  # heard on tt:g:game0001, tt:p:alice and tt:p:bob
    for stream in streams:
        assert got(stream) == Event(game.id, moved)
        nothing(stream)
    bus.tell(Gone(game.id, ("alice", "bob")))
    for stream in streams:
        assert got(stream) == Event(game.id, None)
        nothing(stream)


def test_a_revocation_on_the_players_sessions_ends_their_game_streams_too(
    hub: Hub, bus: FakeBus
) -> None:
    streams = [hub.open("alice", 1, "game0001"), hub.open("alice", 1)]
    bus.tell(Revoked("alice", 2))
    for stream in streams:
        assert got(stream) == Closed("the session ended")
    assert bus.topics == set()


def test_notices_of_the_release_before_on_the_old_channel_reach_every_stream_wanting_them(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    game = games.add("game0001", "alice", "bob")
    streams = [hub.open("alice", 1, game.id), hub.open("bob", 1), hub.open("carol", 1)]
    bus.tell_legacy(notices.changed(game))
    assert [got(s) for s in streams[:2]] == [Event(game.id, game)] * 2
    nothing(streams[2])
    bus.tell_legacy(Revoked("bob", None))
    assert got(streams[1]) == Closed("the session ended")


def test_a_game_that_cannot_be_found_is_gone(hub: Hub, bus: FakeBus, games: Games) -> None:
    stream = hub.open("alice", 0, "game0001")
    bus.tell(Changed("game0001", 4, ("alice", "bob")))  # deleted before it was read
    assert got(stream) == Event("game0001", None)


def test_a_read_that_fails_drops_that_event_and_keeps_the_stream(
    hub: Hub, bus: FakeBus, games: Games, caplog: pytest.LogCaptureFixture
) -> None:
    game = games.add("game0001", "alice", "bob")
    stream = hub.open("alice", 0, game.id)
    games.fail = Unavailable("reading a game: throttled")
    with caplog.at_level(logging.WARNING, logger=hubs.__name__):
        bus.tell(changed(games.bump(game.id)))
        nothing(stream, 0.5)
    assert "Could not read game game0001" in caplog.text
    games.fail = None
    latest = games.bump(game.id)
    bus.tell(changed(latest))  # the next notice heals it
    assert got(stream) == Event(game.id, latest)
    assert hub.count() == 1


# -- revocation, close_all, the bus going down ------------------------------------------


def test_a_revocation_ends_the_streams_issued_before_its_epoch(hub: Hub, bus: FakeBus) -> None:
    old = [hub.open("alice", 2), hub.open("alice", 2, "game0001")]
    renewed = hub.open("alice", 3)  # the session that changed the password, since
    bobs = hub.open("bob", 0)
    bus.tell(Revoked("alice", 3))
    for stream in old:
        assert got(stream, 0) == Closed("the session ended")
    nothing(renewed, 0)
    nothing(bobs, 0)
    assert hub.count() == 2
    bus.tell(Revoked("alice", None))  # the account is gone: every session of it
    assert got(renewed, 0) == Closed("the session ended")
    nothing(bobs, 0)
    assert hub.count() == 1


def test_a_revocation_of_someone_else_ends_nothing(hub: Hub, bus: FakeBus) -> None:
    stream = hub.open("alice", 0)
    bus.tell(Revoked("alicia", None))
    bus.tell(Revoked("ALICE", None))  # names are matched exactly, as the session holds them
    nothing(stream, 0)
    assert hub.count() == 1


def test_close_all_ends_every_stream(hub: Hub) -> None:
    streams = [hub.open("alice", 0), hub.open("bob", 0, "game0001"), hub.open("carol", 1)]
    hub.close_all("the server is stopping")
    for stream in streams:
        assert got(stream, 0) == Closed("the server is stopping")
    assert hub.count() == 0
    hub.open("alice", 0)  # the hub itself still works
    assert hub.count() == 1


def test_while_the_bus_is_down_no_stream_is_open_and_none_opens(
    hub: Hub, bus: FakeBus, games: Games
) -> None:
    streams = [hub.open("alice", 0), hub.open("bob", 0, "game0001")]
    bus.on_state(False)
    for stream in streams:
        assert got(stream, 0) == Closed("the bus went down", hubs.DOWN)  # the pages poll
    assert hub.count() == 0
    with pytest.raises(Down) as refused:
        hub.open("alice", 0)
    assert refused.value.status == 503 and refused.value.retry_after >= 1
    bus.on_state(True)  # back
    stream = hub.open("alice", 0)
    game = games.add("game0001", "alice", "bob")
    bus.tell(changed(game))
    assert got(stream) == Event(game.id, game)
    assert bus.listens == 1  # one subscription per hub, however often the bus goes down


def test_a_bus_that_never_comes_up_refuses_streams() -> None:
    bus = FakeBus(up=False)
    hub = Hub(bus, Games().read)  # type: ignore[arg-type]
    with pytest.raises(Down):
        hub.open("alice", 0)  # waits a moment for the subscription, then refuses
    with pytest.raises(Down):
        hub.open("alice", 0)
    assert (bus.listens, hub.count()) == (1, 0)


def test_at_most_max_per_player_streams(hub: Hub) -> None:
    mine = [
        hub.open("alice", 0, f"game{n:04}" if n % 2 else None) for n in range(hubs.MAX_PER_PLAYER)
    ]
    with pytest.raises(TooManyStreams) as refused:
        hub.open("alice", 0)
    assert refused.value.status == 429 and refused.value.retry_after >= 1
    hub.open("bob", 0)  # someone else: not counted with alice
    hub.close(mine.pop())
    hub.open("alice", 0)
    assert hub.count() == hubs.MAX_PER_PLAYER + 1


# -- a page's tab ------------------------------------------------------------------------


def test_a_tabs_next_stream_replaces_its_last_at_once(hub: Hub) -> None:
    home = hub.open("alice", 0, None, "tab-one-1")
    game = hub.open("alice", 0, "game0001", "tab-one-1")  # the tab's next page
    assert got(home, 0) == Closed("another page of its tab opened", hubs.REPLACED)
    assert hub.count() == 1
    nothing(game, 0)  # the new one stays open


def test_clicking_between_pages_never_reaches_the_limit(hub: Hub) -> None:
    others = [hub.open("alice", 0, None, f"tab-other{n}") for n in range(hubs.MAX_PER_PLAYER - 1)]
    for n in range(22):  # a page a second in one tab, the gone pages never noticed
        hub.open("alice", 0, f"game{n:04}" if n % 2 else None, "tab-click")
    assert hub.count() == hubs.MAX_PER_PLAYER
    with pytest.raises(TooManyStreams):
        hub.open("alice", 0, None, "tab-new-one")  # a ninth tab: still refused
    with pytest.raises(TooManyStreams):
        hub.open("alice", 0)  # and a stream that names no tab
    for stream in others:
        nothing(stream, 0)


def test_a_tab_id_replaces_only_its_own_players_stream(hub: Hub) -> None:
    alices = hub.open("alice", 0, None, "shared-tab")
    bobs = hub.open("bob", 0, None, "shared-tab")  # the same id, someone else: no effect
    nothing(alices, 0)
    nothing(bobs, 0)
    assert hub.count() == 2


def test_streams_without_a_tab_replace_nothing(hub: Hub) -> None:
    first, second = hub.open("alice", 0), hub.open("alice", 0)
    nothing(first, 0)
    nothing(second, 0)
    assert hub.count() == 2


# -- a slow or stalled client ------------------------------------------------------------


def test_a_stream_that_falls_behind_is_closed(
    monkeypatch: pytest.MonkeyPatch, bus: FakeBus, games: Games
) -> None:
    monkeypatch.setattr(kept, "QUEUE", 3)
    hub = Hub(bus, games.read)  # type: ignore[arg-type]
    stalled, reading = hub.open("alice", 0), hub.open("bob", 0)
    sent = []
    for n in range(kept.QUEUE + 3):  # more than QUEUE events, and alice's client reads none
        game = games.add(f"game{n:04}", "alice", "bob")
        bus.tell(changed(game))
        assert got(reading) == Event(game.id, game)  # bob's client keeps up
        sent.append(game)
    items = drained(stalled)
    assert Closed("fell behind") in items  # it ended, after at most QUEUE events
    ended = items.index(Closed("fell behind"))
    assert 0 < ended <= kept.QUEUE and all(isinstance(i, Event) for i in items[:ended])
    assert set(items[ended:]) == {Closed("fell behind")}  # nothing after its end but the end
    assert hub.count() == 1  # bob's alone
    bus.tell(changed(games.bump(sent[0].id)))
    assert isinstance(got(reading), Event)
    assert stalled.next(QUIET) is None


def drained(stream: Stream, quiet: float = QUIET) -> list[Event | Closed]:
    """Everything a stream holds, until nothing more comes for `quiet` seconds."""
    items = []
    while (item := stream.next(quiet)) is not None:
        items.append(item)
    return items


def test_a_gone_notice_can_overflow_a_stream_too(
    monkeypatch: pytest.MonkeyPatch, hub: Hub, bus: FakeBus
) -> None:
    monkeypatch.setattr(kept, "QUEUE", 2)
    stream = hub.open("alice", 0)
    for n in range(5):
        bus.tell(Gone(f"game{n:04}", ("alice", "bob")))
    items = drained(stream)
    assert items[-1] == Closed("fell behind") and len(items) == kept.QUEUE + 1
    assert hub.count() == 0


# -- readers racing for one stream ---------------------------------------------------------
# READERS notices are read at once, so two changes of one game may be in flight together. A
# stream must still send each version once, oldest first. To make the race happen every time,
# the stream's memory of what it sent holds the first reader for a moment in the middle of
# its check (then lets it go: a hub that serialises the readers just waits for it).


class Holding(dict):  # type: ignore[type-arg]
    """`sent`, holding the first reader that looks up (`at="get"`) or records a version."""

    def __init__(self, at: str) -> None:
        super().__init__()
        self.at = at
        self.held = threading.Event()

    def _hold(self) -> None:
        if not self.held.is_set():
            self.held.set()
            time.sleep(HELD)  # the other reader's chance to overtake

    def get(self, key: Any, default: Any = None) -> Any:
        found = super().get(key, default)
        if self.at == "get":
            self._hold()
        return found

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        if self.at == "set":
            self._hold()


HELD = 0.5  # seconds the first reader is held


def versioned(game: Game) -> Callable[[str, int], Game]:
    """Read `game` at exactly the version its notice names (the table moved on meanwhile)."""
    return lambda game_id, at_least: replace(game, version=at_least)


def test_two_changes_in_flight_reach_a_stream_oldest_first(bus: FakeBus) -> None:
    game = Games().add("game0001", "alice", "bob")
    hub = Hub(bus, versioned(game))  # type: ignore[arg-type]
    stream = hub.open("alice", 0, game.id)
    stream.sent = Holding(at="set")
    bus.tell(Changed(game.id, 2, ("alice", "bob")))
    assert stream.sent.held.wait(WAIT)  # its reader is between its check and its send
    bus.tell(Changed(game.id, 3, ("alice", "bob")))
    assert [got(stream), got(stream)] == [
        Event(game.id, replace(game, version=2)),
        Event(game.id, replace(game, version=3)),
    ]
    nothing(stream)


def test_one_change_told_twice_at_once_reaches_a_stream_once(bus: FakeBus) -> None:
    game = Games().add("game0001", "alice", "bob")
    hub = Hub(bus, versioned(game))  # type: ignore[arg-type]
    stream = hub.open("alice", 0, game.id)
    stream.sent = Holding(at="get")
    bus.tell(Changed(game.id, 2, ("alice", "bob")))  # two instances telling the same change
    assert stream.sent.held.wait(WAIT)
    bus.tell(Changed(game.id, 2, ("alice", "bob")))
    assert got(stream) == Event(game.id, replace(game, version=2))
    nothing(stream, HELD + 0.5)  # not again when the held reader goes on
