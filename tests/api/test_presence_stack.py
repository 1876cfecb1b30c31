"""Presence and the claim by absence across instances: two instances (each its web and stream
gunicorn behind its nginx) with one redis-server and DynamoDB Local, as Elastic Beanstalk runs
them (devstack/stack.py). Players talk HTTP to the instance a test names, so a page on one
instance hears about a player on the other only through the bus's Valkey.

The stack runs with short times ([game].away_claim_seconds = AWAY, [push].presence_seconds =
PRESENCE), so a dead instance's players lapse in seconds; the defaults are pinned elsewhere
(tests/test_config_presence.py)."""

from __future__ import annotations

import queue
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from bench.load import ApiBrowser, register_players
from bench.suites.common.page_flow import Event, EventStream
from devstack import processes
from devstack.stack import Stack
from tests.e2e.stack import SETTINGS
from tictactoe.rules.clock import now
from tictactoe.web import streams

pytestmark = pytest.mark.stack

AWAY = 2  # seconds the player to move may be away before the claim opens
PRESENCE = 3  # seconds a presence outlives its last refresh (one a second while open)
GONE_WITHIN = 30.0  # the bound for a dead instance's players; here about PRESENCE + 1


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = SETTINGS | {
        "game": {"away_claim_seconds": AWAY},
        "push": {"presence_seconds": PRESENCE},
    }
    home = tmp_path_factory.mktemp("presence-stack")
    with Stack(home, count=2, name="presence", settings=settings) as running:
        yield running


@pytest.fixture
def whole(stack: Stack) -> Iterator[Stack]:
    """The stack with anything an earlier test killed brought back; each player's connection
    is closed after the test."""
    stack.heal()
    yield stack
    for browser in _browsers:
        if browser.connection is not None:
            browser.connection.close()
    _browsers.clear()


_browsers: list[ApiBrowser] = []


def api(url: str, player: Any) -> ApiBrowser:
    """A player's HTTP connection to `url` (an instance's nginx, or the load balancer)."""
    _browsers.append(ApiBrowser(url, player))
    return _browsers[-1]


class Page:
    """A game page's stream on one instance, read by a thread of its own into a queue."""

    def __init__(self, url: str, browser: ApiBrowser, game_id: str) -> None:
        self.stream = EventStream(url, f"/api/games/{game_id}/events", browser.cookie)
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.seen: list[Event] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                self.events.put(self.stream.next())
        except (EOFError, OSError, ValueError, AttributeError):  # (closed here: no socket)
            self.events.put(None)

    def until(self, wanted: Callable[[Event], bool], within: float) -> Event:
        """Return the first event `wanted` takes, failing after `within` seconds."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            assert event is not None, f"the stream ended; saw {self.seen}"
            self.seen.append(event)
            if wanted(event):
                return event
        raise AssertionError(f"no such event within {within} s; saw {self.seen}")

    def close(self) -> None:
        """Leave the page at once: the reader thread, blocked until the stream's next line
        (up to a heartbeat, 15 s), is woken by shutting the socket for reading first."""
        sock = self.stream.connection.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RD)
        self.stream.close()


def presence(here: list[str], watchers: int = 0) -> Callable[[Event], bool]:
    """Match the presence event that shows `here` and `watchers`."""
    return lambda e: e.name == "presence" and e.data == _json(here, watchers)


def _json(here: list[str], watchers: int) -> str:
    return '{"here":[' + ",".join(f'"{p}"' for p in here) + f'],"watchers":{watchers}}}'


def players(stack: Stack, count: int) -> list[Any]:
    names = [f"p{uuid.uuid4().hex[:10]}" for _ in range(count)]
    return register_players(stack.url, names)


def game_between(stack: Stack, host: Any, opponent: Any) -> str:
    """Start a game (host invites, opponent accepts); X, the opponent, is to move."""
    a = api(stack.url, host)
    game = a.take(a.post("/api/games", {"opponent": opponent.name}), 201)
    b = api(stack.url, opponent)
    b.take(b.post(f"/api/games/{game['id']}/accept", None), 200)
    return str(game["id"])


def test_a_page_on_one_instance_sees_who_comes_and_goes_on_the_other(whole: Stack) -> None:
    first, second = whole.instances
    alice, bob, carol = players(whole, 3)
    game_id = game_between(whole, alice, bob)
    mine = Page(first.url, api(first.url, alice), game_id)
    try:
        mine.until(lambda e: e.name == "game", 5)
        mine.until(presence([alice.name]), 5)  # when it opens: she alone
        theirs = Page(second.url, api(second.url, bob), game_id)
        mine.until(presence(sorted([alice.name, bob.name])), 5)
        watcher = Page(second.url, api(second.url, carol), game_id)
        mine.until(presence(sorted([alice.name, bob.name]), watchers=1), 5)
        watcher.close()
        mine.until(presence(sorted([alice.name, bob.name])), 5)  # a closed page: at once
        # The second instance's stream process dies with bob's page on it: no goodbye.
        assert second.stream is not None
        processes.signal_group(second.stream.pid, signal.SIGKILL)
        killed = time.monotonic()
        mine.until(presence([alice.name]), GONE_WITHIN)
        gone_after = time.monotonic() - killed
        # The entry's life and a refresh's period (4 s here), with room for a loaded machine:
        # before a heartbeat (15 s) could have noticed, and far before nginx's timeout (60 s).
        assert gone_after < 14, gone_after
        theirs.close()
    finally:
        mine.close()


def test_a_claim_by_absence_opens_after_the_absence_and_closes_when_they_return(
    whole: Stack,
) -> None:
    first, second = whole.instances
    alice, bob = players(whole, 2)
    game_id = game_between(whole, alice, bob)
    claimer = api(first.url, alice)  # bob (X) is to move; alice claims on instance a
    claim = f"/api/games/{game_id}/claim"
    away = Page(second.url, api(second.url, bob), game_id)
    try:
        away.until(presence([bob.name]), 5)
        refused = claimer.post(claim, None)  # he is here
        assert (refused.status_code, refused.json()["error"][:9]) == (409, "too early")
        game = claimer.take(claimer.send("GET", f"/api/games/{game_id}", b"", {}), 200)
        assert game["claimable_at"] > now(time.time() + 3600)  # the turn timeout alone: days
    finally:
        away.close()
    left = time.time()
    # Gone (as soon as the stream process sees the page hang up): the game's JSON, on either
    # instance, names the moment the claim opens, the absence allowed after he left.
    soon = now(left + streams.HANG_UP_CHECK + AWAY + 1)
    for where in (first, second):
        reader = api(where.url, alice)
        read = partial(reader.send, "GET", f"/api/games/{game_id}", b"", {})
        game = _eventually(read, lambda r: r.json()["claimable_at"] < soon, 10).json()
        assert game["claimable_at"] > now(left + AWAY - 1)
    back = Page(second.url, api(second.url, bob), game_id)  # he comes back
    try:
        back.until(presence([bob.name]), 5)
        time.sleep(AWAY + 0.5)  # longer than the absence allowed: being here, it never opens
        refused = claimer.post(claim, None)
        assert (refused.status_code, refused.json()["error"][:9]) == (409, "too early")
    finally:
        back.close()
    won = _eventually(lambda: claimer.post(claim, None), lambda r: r.status_code == 200, AWAY + 5)
    finished = won.json()
    assert (finished["status"], finished["winner"]) == ("FINISHED", alice.name)
    assert finished["rated"] is True  # a claim by absence counts like any claim


def _eventually(call: Callable[[], Any], done: Callable[[Any], bool], within: float) -> Any:
    deadline = time.monotonic() + within
    while True:
        answer = call()
        if done(answer) or time.monotonic() > deadline:
            assert done(answer), (answer.status_code, answer.body[:200])
            return answer
        time.sleep(0.25)
