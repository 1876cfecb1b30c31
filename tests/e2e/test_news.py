"""No missed news (issue 28), in Chromium on the two-instance stack.

A bus that hangs (SIGSTOP on redis-server, as a failover or a partition leaves it) or dies is
noticed by every stream process within 5 s: the game page and the home page poll within
about 7 s, say quietly that live updates are degraded, and stream again once the bus answers.
And a player clicking between pages every second never meets the limit of streams (429).
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Locator, Route, expect

from .conftest import PlayerFactory
from .players import SEE_MOVE_WITHIN, TIE, BrowserPlayer, board_after, play
from .stack import Stack
from .test_faults import new_game
from .test_push import PUSH_BACK_WITHIN, PUSHED_WITHIN, documents, streaming, wait_until

REREAD_WITHIN = 5.0  # seconds from the held stream's release to the re-read list on the page

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

POLLING_WITHIN = 7.0  # seconds from the bus's outage to a page's first poll (issue 28)
HOME_POLL = 10.0  # home.js: a page with no stream reads its lists this often
DEGRADED = "Live updates are paused"
LISTS = "/api/games"


@contextmanager
def bus_out(stack: Stack, how: str) -> Iterator[None]:
    """Freeze (SIGSTOP) or kill the stack's redis-server; whatever happens, it is back after."""
    assert stack.redis is not None
    if how == "frozen":
        os.kill(stack.redis.pid, signal.SIGSTOP)
    else:
        stack.stop_redis()
    try:
        yield
    finally:
        if how == "frozen":
            os.kill(stack.redis.pid, signal.SIGCONT)
        else:
            stack.start_redis()


def degraded(player: BrowserPlayer) -> Locator:
    return player.page.locator("#live-status")


def list_reads(player: BrowserPlayer, since: float) -> list[float]:
    """When the home page read its lists (GET /api/games) at `since` or later."""
    return [s.at for s in player.sent if s.at >= since and s.method == "GET" and s.path == LISTS]


def refused_streams_only(player: BrowserPlayer) -> list[str]:
    """The player's failures, but the streams refused (503) while the bus was out."""
    stream = re.compile(r"503 GET \S+/events\?tab=\w+")
    return [f for f in player.failures if not stream.fullmatch(f)]


def test_what_lands_between_the_home_pages_render_and_its_stream_reaches_it(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    """The home page's gap: an invitation sent after the page was rendered and before its
    stream opened is in neither; the page reads its lists once its stream is open."""
    host, guest = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    held: list[Route] = []
    stream = re.compile(r".*/api/me/events(\?.*)?$")
    guest.page.route(stream, lambda route: held.append(route))  # answered below
    try:
        guest.page.goto("/")  # rendered; its stream is held back
        wait_until(guest, lambda: bool(held), 10, "the home page asks for its stream")
        host.invite(guest)  # lands in the gap: its notice reaches no stream of the guest's
        invitations = guest.page.locator("[data-list=invites] .row")
        expect(invitations).to_have_count(0)
        held[0].continue_()
        expect(invitations.filter(has_text=f"{host.name} invited you")).to_be_visible(
            # The stream opens (the bus confirms its subscriptions), then the page reads its
            # lists: more than a pushed move takes. Without that read the invitation would
            # never come (the page has a stream, so it does not poll).
            timeout=REREAD_WITHIN * 1000
        )
        expect(guest.page.locator("#home-news")).to_have_text(f"{host.name} invited you to a game.")
    finally:
        guest.page.unroute(stream)
    assert host.failures == guest.failures == []


@pytest.mark.parametrize("how", ["frozen", "killed"])
def test_a_bus_out_is_noticed_the_pages_poll_say_so_and_stream_again(
    whole_stack: Stack, players: PlayerFactory, how: str
) -> None:
    x, o = new_game(whole_stack, players)
    z = players(whole_stack.url).sign_up()  # on their home page
    wait_until(x, lambda: streaming(x) and streaming(o) and streaming(z), 10, "all stream")
    for player in (x, o, z):
        expect(degraded(player)).to_be_hidden()
    loaded = [documents(player) for player in (x, o, z)]

    with bus_out(whole_stack, how):
        out = time.monotonic()
        # Noticed within 5 s by the stream processes; the pages poll at once and say so.
        wait_until(o, lambda: bool(o.polls(out)), POLLING_WITHIN, "the waiting game page polls")
        wait_until(z, lambda: bool(list_reads(z, out)), POLLING_WITHIN, "the home page reads")
        for player in (o, z):
            expect(degraded(player)).to_have_text(re.compile(DEGRADED))
            expect(degraded(player)).to_have_attribute("role", "status")
        play(x, o, TIE[:3], within=SEE_MOVE_WITHIN)  # each move within a poll period
        o.tab().invite(z)  # its notice is lost with the bus: the home page's poll shows it
        invitation = z.page.locator("[data-list=invites] .row", has_text=f"{o.name} invited you")
        expect(invitation).to_be_visible(timeout=(HOME_POLL + 2) * 1000)
        expect(z.page.locator("#home-news")).to_have_text(f"{o.name} invited you to a game.")

    back = time.monotonic()
    wait_until(
        x,
        lambda: streaming(x, back) and streaming(o, back) and streaming(z, back),
        PUSH_BACK_WITHIN,
        "every page streams again",
    )
    for player in (x, o, z):
        expect(degraded(player)).to_be_hidden()
    o.page.wait_for_timeout(1_000)  # a poll already on its way as the stream opened lands
    since = time.monotonic()
    play(x, o, TIE[3:], start=3, within=PUSHED_WITHIN)  # by push again: no poll
    assert x.polls(since) == o.polls(since) == []
    assert list_reads(z, since) == []
    for player in (x, o):
        expect(player.status).to_have_text("It's a tie.")
        assert player.board() == board_after(TIE)
    for player in (x, o, z):
        assert refused_streams_only(player) == [], player.failures
    assert [documents(player) for player in (x, o, z)] == loaded  # no page was reloaded


def test_clicking_between_pages_every_second_never_gets_a_429(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    """22 page loads a second apart, home and game in turn: each page's stream takes the place
    of the tab's last one, on whichever instance it lands, so no stream is refused; and the
    opponent's next move still comes by push at once."""
    x, o = new_game(whole_stack, players)
    game_url = o.page.url.split("?")[0]
    for n in range(22):
        last = time.monotonic()
        o.page.goto("/" if n % 2 == 0 else game_url)  # the game page last
        o.page.wait_for_timeout(1_000)
    assert game_url in o.page.url
    refused = [f for f in o.failures + o.stream_failures if f.startswith("429 ")]
    assert refused == []
    assert len(o.streams(0)) >= 22  # every page opened its stream
    wait_until(o, lambda: streaming(o, last), 10, "the last page streams")
    since = time.monotonic()
    play(x, o, TIE[:1], within=PUSHED_WITHIN)
    assert o.polls(since) == []
    assert o.failures == x.failures == []
