"""The home page puts what waits for the player first (issue 28, section 5), in Chromium.

At a phone's size (390x844), a new invitation, a game where it is the player's turn and a
Play now wait are on the first screen, without scrolling; while the tab is hidden its title
counts what waits; each row says when its game last changed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from .conftest import PlayerFactory
from .players import BrowserPlayer
from .scenes import api, busy_home, finished, invite, move, started
from .stack import Stack
from .test_nudge import WITHIN, hide, watched
from .test_phone_and_keyboard import PHONE, fits

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]


def on_first_screen(locator: Locator) -> None:
    """`locator` is shown wholly inside the viewport as the page opens (no scrolling)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    height = locator.page.viewport_size["height"] if locator.page.viewport_size else 0
    scrolled = locator.page.evaluate("scrollY")
    assert (
        box is not None and scrolled == 0 and 0 <= box["y"] and box["y"] + box["height"] <= height
    )


def bar(player: BrowserPlayer) -> Locator:
    return player.page.locator("#needs")


def test_what_waits_is_on_a_phones_first_screen_and_in_the_hidden_title(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    me, bob, cat = (players(whole_stack.url, *PHONE).sign_up() for _ in range(3))
    watched(me)  # a page the test can hide (test_nudge.py says how)
    busy_home(me, [bob, cat])  # cat invited me; my turn against cat; bob's turn against me
    fits(me.page)
    items = bar(me).locator("li")
    expect(items).to_have_text(
        [f"{cat.name} invited you · just now", f"Your turn against {cat.name} · just now"]
    )
    on_first_screen(bar(me))

    dave = players(whole_stack.url, *PHONE).sign_up()
    invite(dave, me)  # arrives over the stream, first in the bar
    expect(items.first).to_have_text(f"{dave.name} invited you · just now", timeout=WITHIN * 1000)
    waiting = bob.page
    waiting.goto("/")
    game = [g for g in api(waiting, "GET", "/api/games")["in_progress"] if g["host"] == me.name]
    move(bob, game[0]["id"], 4)  # now my turn against bob too: 4 wait, the bar shows 3 and a link
    expect(items).to_have_count(4, timeout=WITHIN * 1000)
    expect(items.last).to_have_text("1 more")
    on_first_screen(bar(me))
    expect(me.page).to_have_title("Tic-Tac-Toe")
    hide(me)
    expect(me.page).to_have_title("(4) Your turn · Tic-Tac-Toe")
    me.page.evaluate("window.__hide(false)")
    expect(me.page).to_have_title("Tic-Tac-Toe")

    # A row says when, its full time in the reader's zone on hover.
    row = me.page.locator("[data-list=in_progress] .row").first
    expect(row.locator("time.when")).to_have_text("just now")
    assert row.locator("time.when").get_attribute("title"), "the full time"

    # Play now: its wait shows on the first screen too, under the bar, until it is paired.
    me.page.get_by_role("button", name="Play now").click()
    on_first_screen(me.page.locator("#pairing .waiting"))
    paired = api(cat.page, "POST", "/api/quick-play")
    me.page.wait_for_url(f"**/games/{paired['id']}**", timeout=WITHIN * 1000)
    assert me.failures == [] and bob.failures == [] and cat.failures == []


def test_the_bar_follows_the_game(whole_stack: Stack, players: PlayerFactory) -> None:
    """Moving in the game empties the bar; the opponent's move brings it back, live."""
    me, ann = (players(whole_stack.url, *PHONE).sign_up() for _ in range(2))
    game_id = started(ann, me)  # I play X
    me.page.goto("/")
    expect(bar(me).locator("li")).to_have_text([f"Your turn against {ann.name} · just now"])
    move(me, game_id, 0)
    expect(bar(me)).to_be_hidden(timeout=WITHIN * 1000)
    move(ann, game_id, 4)
    expect(bar(me).locator("a.need")).to_have_text(
        f"Your turn against {ann.name}", timeout=WITHIN * 1000
    )
    bar(me).locator("a.need").click()
    me.page.wait_for_url(f"**/games/{game_id}")
    assert me.failures == ann.failures == []


def test_a_full_list_links_to_the_rest(whole_stack: Stack, players: PlayerFactory) -> None:
    """Ten finished games fill the list: "More finished games" shows the rest, and the page's
    own reads (once its stream opens, and every update) keep showing them."""
    me, ann = (players(whole_stack.url).sign_up() for _ in range(2))
    me.page.goto("/")
    for _ in range(11):
        finished(me, ann)
    me.page.goto("/")
    rows = me.page.locator("[data-list=finished] .row")
    expect(rows).to_have_count(10)
    more = me.page.get_by_role("link", name="More finished games")
    more.click()
    me.page.wait_for_url("**/?more=1#done-h")
    expect(rows).to_have_count(11)
    expect(more).to_be_hidden()
    finished(ann, me)  # a twelfth, arriving live: the list grows, none drops off
    expect(rows).to_have_count(12, timeout=WITHIN * 1000)
    assert any("/api/games?more=1" in s.path for s in me.sent), "its reads ask for more too"
    assert me.failures == ann.failures == []
