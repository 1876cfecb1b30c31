"""Push in real browsers: moves and invitations arrive over Server-Sent Events, across instances
through the Redis bus; a stopped instance hands its streams to the other. (The bus down or
frozen, with polling taking over and stopping once it is back: tests/e2e/test_news.py.)"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import PlayerFactory
from .players import SEE_MOVE_WITHIN, WIN, BrowserPlayer, board_after, play
from .stack import Stack, stream_graceful_timeout
from .test_faults import new_game
from .test_phone_and_keyboard import DESKTOP, PHONE, fits
from .test_rematch_replay_challenge import set_hidden

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

# A move shows on the other page as soon as its event arrives: well under a second here. The
# bound is generous on purpose (a busy CI machine); `make bench` measures the speed.
PUSHED_WITHIN = 1.5
# A page comes back to push within the bus's own reconnect (at most 5 s, adapters/bus.py) and
# its next try (live.js waits at most 10 s between tries); the rest is room for a busy machine.
PUSH_BACK_WITHIN = 30.0
POLL = re.compile(r"GET /api/games/[A-Za-z0-9_-]+ HTTP/1\.1")  # nginx's line for a poll


def wait_until(player: BrowserPlayer, done: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for `done()`, letting Playwright deliver the page's events meanwhile."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        player.page.wait_for_timeout(100)


def streaming(player: BrowserPlayer, since: float = 0.0) -> bool:
    """True once the page has had a stream answer 200 at `since` or later."""
    return any(s.at >= since for s in player.opened)


def timed_move(mover: BrowserPlayer, watcher: BrowserPlayer, index: int, mark: str) -> float:
    """Play `index` on `mover`'s page; return the seconds until `watcher`'s page shows it.

    Both ends are taken inside the browser (one clock for both pages): the click, and the
    moment the watcher's cell changes, seen by a MutationObserver set up before the click."""
    expect(mover.cell(index)).to_be_enabled()
    watcher.cell(index).evaluate(
        """(cell) => {
          window.seenAt = new Promise((resolve) => {
            new MutationObserver(() => { if (cell.textContent) resolve(Date.now()); })
              .observe(cell, { childList: true, characterData: true, subtree: true });
          });
        }"""
    )
    clicked = mover.cell(index).evaluate(
        "(cell) => { const at = Date.now(); cell.click(); return at; }"
    )
    expect(watcher.cell(index)).to_have_text(mark, timeout=SEE_MOVE_WITHIN * 1000)
    expect(mover.cell(index)).to_have_text(mark)
    return (watcher.page.evaluate("window.seenAt") - clicked) / 1000


def note(artifacts: Path, line: str) -> None:
    """Keep a measurement for people to read (artifacts/e2e/push.txt); xdist hides prints."""
    with (artifacts / "push.txt").open("a") as out:
        out.write(f"{time.strftime('%H:%M:%S')} {line}\n")


def documents(player: BrowserPlayer) -> int:
    """How many pages the player's tab has loaded: a reload counts."""
    return sum(s.kind == "document" for s in player.sent)


def polls_logged(stack: Stack, since: int, *players: BrowserPlayer) -> list[str]:
    """The polls nginx logged for `players` after its `since`-th line."""
    names = {p.name for p in players}
    return [
        h.request for h in stack.hits()[since:] if h.player in names and POLL.fullmatch(h.request)
    ]


def test_a_move_crosses_instances_by_push_with_no_poll(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    one, other = whole_stack.instances
    host, guest = players(one.url).sign_up(), players(other.url).sign_up()  # one instance each
    host.invite(guest)
    guest.accept(host)  # the guest plays X
    x, o = guest, host
    wait_until(x, lambda: streaming(x) and streaming(o), 10, "both game pages stream")
    wait_until(
        x,
        lambda: whole_stack.open_streams(one) >= 1 and whole_stack.open_streams(other) >= 1,
        10,
        "each instance's stream process holds a stream",
    )
    logged, began, loaded = len(whole_stack.hits()), time.monotonic(), documents(x) + documents(o)

    delays = []
    for number, index in enumerate(WIN):
        mover, watcher, mark = (x, o, "X") if number % 2 == 0 else (o, x, "O")
        if number == 2:  # a hidden tab learns at once too, and its title says whose turn it is
            set_hidden(o.page, True)
        delays.append(timed_move(mover, watcher, index, mark))
        if number == 2:
            expect(o.page).to_have_title(re.compile(r"^Your turn · "))
            set_hidden(o.page, False)
            expect(o.page).not_to_have_title(re.compile(r"^Your turn"))
    expect(x.status).to_have_text("You won!")
    expect(o.status).to_have_text(f"{x.name} won.")
    assert o.board() == x.board() == board_after(WIN)

    note(artifacts, f"move-to-screen delays (s): {' '.join(f'{d:.3f}' for d in delays)}")
    assert max(delays) < PUSHED_WITHIN, delays
    assert x.polls(began) == o.polls(began) == []  # as the browsers saw it...
    assert polls_logged(whole_stack, logged, x, o) == []  # ...and as nginx did
    assert documents(x) + documents(o) == loaded  # no reload either
    assert x.failures == o.failures == [] and x.stream_failures == o.stream_failures == []


def test_the_home_page_follows_invitations_and_games_without_a_reload(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    host, guest = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    wait_until(guest, lambda: streaming(host) and streaming(guest), 10, "both home pages stream")
    loaded = documents(host), documents(guest)
    invitations = guest.page.locator("[data-list=invites] .row")
    playing = host.page.locator("[data-list=in_progress] .row")
    sent = host.page.locator("[data-list=sent] .row")

    # The host invites from another tab; both home pages show it at once, without a reload.
    inviting = host.tab()
    inviting.invite(guest)
    row = invitations.filter(has_text=f"{host.name} invited you")
    expect(row).to_be_visible(timeout=PUSHED_WITHIN * 1000)
    expect(guest.page.locator("#home-news")).to_have_text(f"{host.name} invited you to a game.")
    expect(guest.page.get_by_text("No invitations right now.")).to_be_hidden()
    expect(sent.filter(has_text=guest.name)).to_contain_text("Invited")
    assert (documents(host), documents(guest)) == loaded
    for width, height in (PHONE, DESKTOP):
        guest.page.set_viewport_size({"width": width, "height": height})
        fits(guest.page)
        guest.screenshot(artifacts / f"home-live-invitation-{width}.png")

    # The guest accepts with the keyboard, on the row the stream brought.
    accept = row.get_by_role("button", name="Accept")
    for _ in range(40):
        guest.page.keyboard.press("Tab")
        if accept.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the new invitation's Accept button")
    guest.page.keyboard.press("Enter")  # a plain form post, with the page's CSRF token
    expect(guest.status).to_have_text("Your turn.")

    # On the host's home page the game moves from "Invited" to the games in progress...
    game = playing.filter(has_text=guest.name)
    expect(game).to_contain_text("Their turn", timeout=PUSHED_WITHIN * 1000)
    expect(sent).to_have_count(0)
    play(guest, inviting, WIN[:1])
    expect(game).to_contain_text("Your turn", timeout=PUSHED_WITHIN * 1000)  # ...the turn follows
    host.screenshot(artifacts / "home-live-in-progress-1280.png")
    play(guest, inviting, WIN[1:], start=1)
    # ...and, once it is over, to the finished games.
    finished = host.page.locator("[data-list=finished] .row").filter(has_text=guest.name)
    expect(finished).to_contain_text("Lost", timeout=PUSHED_WITHIN * 1000)
    expect(playing).to_have_count(0)
    expect(host.page.get_by_text("No games in progress.")).to_be_visible()
    assert documents(host) == loaded[0]  # one home page all along
    finished.get_by_role("link", name=f"Open the finished game against {guest.name}").click()
    expect(host.status).to_have_text(f"{guest.name} won.")

    # A withdrawn invitation leaves the invited player's list (focus goes to its heading), and
    # its own page, open in another tab, says so.
    since = time.monotonic()
    guest.page.goto("/")
    wait_until(guest, lambda: streaming(guest, since), 10, "the guest's home page streams again")
    inviting.invite(guest)
    viewing = guest.tab()
    viewing.page.goto(inviting.page.url)
    expect(viewing.status).to_have_text(f"{host.name} invited you to a game.")
    wait_until(viewing, lambda: streaming(viewing), 10, "the invitation's page streams")
    loaded = documents(guest), documents(viewing)
    invitation = invitations.filter(has_text=f"{host.name} invited you")
    invitation.get_by_role("button", name="Accept").focus()
    inviting.page.get_by_role("button", name="Withdraw invitation").click()
    expect(invitations).to_have_count(0, timeout=PUSHED_WITHIN * 1000)
    expect(guest.page.get_by_text("No invitations right now.")).to_be_visible()
    expect(guest.page.get_by_role("heading", name="Invitations")).to_be_focused()
    expect(viewing.status).to_have_text("This invitation was withdrawn or declined.")
    expect(viewing.page.get_by_role("button", name="Accept")).to_be_hidden()
    assert (documents(guest), documents(viewing)) == loaded
    for player in (host, guest, inviting, viewing):
        assert player.failures == [], player.failures


def test_a_taken_challenge_shows_its_taker_on_the_hosts_pages(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    host = players(whole_stack.url).sign_up()
    loaded = documents(host)
    hosting = host.tab()  # the host's home page stays open in the first tab
    hosting.page.goto("/")
    since = time.monotonic()
    hosting.page.get_by_role("button", name="Create a challenge link").click()
    link = hosting.page.get_by_label("Challenge link").input_value()
    challenge = host.page.locator("[data-list=sent] .row.challenge")
    expect(challenge.get_by_label("Your open challenge")).to_have_value(link)
    wait_until(hosting, lambda: streaming(hosting, since), 10, "the challenge's page streams")

    taker = players(whole_stack.url).sign_up()
    taker.page.goto(link)
    taker.page.get_by_role("button", name=f"Join {host.name}'s game").click()
    expect(taker.status).to_have_text("Your turn.")
    # "Anyone" gives way to the taker's name on the challenge's page; the home page moves it.
    expect(hosting.page.locator(".players .player", has_text=taker.name)).to_be_visible()
    expect(hosting.page.locator(".players .player.open")).to_have_count(0)
    expect(hosting.status).to_have_text(f"{taker.name}'s turn…")
    playing = host.page.locator("[data-list=in_progress] .row").filter(has_text=taker.name)
    expect(playing).to_contain_text("Their turn")
    expect(challenge).to_have_count(0)
    assert hosting.polls(since) == [] and documents(host) == loaded
    for player in (host, hosting, taker):
        assert player.failures == [], player.failures


def test_a_stopped_instance_ends_its_streams_and_the_pages_catch_up_elsewhere(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    x, o = new_game(whole_stack, players)
    play(x, o, WIN[:2])
    both = lambda: sum(map(whole_stack.open_streams, whole_stack.instances)) == 2  # noqa: E731
    wait_until(x, both, 10, "both game pages stream")
    victim, survivor = sorted(whole_stack.instances, key=whole_stack.open_streams, reverse=True)
    held = whole_stack.open_streams(victim)

    began = time.monotonic()
    whole_stack.terminate_instance(victim)
    play(x, o, WIN[2:3], start=2)  # while the victim stops and its streams move over
    graceful = stream_graceful_timeout()
    whole_stack.wait_stopped(victim, timeout=graceful + 5)
    took = time.monotonic() - began
    note(artifacts, f"instance stopped {took:.2f} s after SIGTERM, holding {held} streams")
    assert took < graceful + 3.0
    # The stream process ended them itself (whole responses), not cut off at its timeout.
    assert x.stream_failures == o.stream_failures == []

    wait_until(x, lambda: whole_stack.open_streams(survivor) == 2, 10, "both streams moved over")
    since = time.monotonic()
    play(x, o, WIN[3:], start=3, within=PUSHED_WITHIN)  # by push, on the other instance
    expect(x.status).to_have_text("You won!")
    expect(o.status).to_have_text(f"{x.name} won.")
    assert x.polls(since) == o.polls(since) == []
    assert x.failures == o.failures == []
