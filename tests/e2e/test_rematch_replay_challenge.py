"""The players issue in real browsers: a rematch and a resignation through the UI, a replay
with the keyboard, and a challenge link opened by a second, signed-out browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import PlayerFactory
from .players import PASSWORD, SEE_MOVE_WITHIN, WIN, BrowserPlayer, board_after, play
from .stack import Stack
from .test_phone_and_keyboard import DESKTOP, PHONE, fits

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

# A hidden tab polls every 10 s (game.js); a change shows within one period and a request.
SEE_HIDDEN_WITHIN = 10.0 + SEE_MOVE_WITHIN


def shots(player: BrowserPlayer, artifacts: Path, name: str) -> None:
    """Screenshot the page at a phone's width and a desktop's, checking it fits both."""
    for width, height in (PHONE, DESKTOP):
        player.page.set_viewport_size({"width": width, "height": height})
        fits(player.page)
        player.screenshot(artifacts / f"{name}-{width}.png")


def set_hidden(page: Page, hidden: bool) -> None:
    """Tell the page its tab is hidden or visible again, as switching tabs would."""
    page.evaluate(
        """(hidden) => {
          Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
          Object.defineProperty(document, "visibilityState",
            { configurable: true, get: () => (hidden ? "hidden" : "visible") });
          document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


def test_a_rematch_with_one_click_each_then_a_resignation(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    a, b = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    a.invite(b)
    b.accept(a)  # b plays X
    play(b, a, WIN)
    expect(a.status).to_have_text(f"{b.name} won.")
    for player in (a, b):  # the winning line, on the page that saw it live and the other
        expect(player.page.locator("#board .cell.win")).to_have_count(3)
    shots(a, artifacts, "finished-line-rematch")

    a.page.get_by_role("button", name="Rematch").click()  # the loser asks...
    expect(a.status).to_have_text(f"Waiting for {b.name} to accept…")
    b.page.get_by_role("button", name="Rematch").click()  # ...and the winner, not reloaded
    expect(b.status).to_have_text(f"{a.name}'s turn…")  # marks swapped: a is X now
    expect(a.status).to_have_text("Your turn.", timeout=SEE_MOVE_WITHIN * 1000)
    play(a, b, [4, 0])
    shots(a, artifacts, "in-progress-resign")

    a.page.get_by_role("link", name="Resign").click()  # a dialog asks first
    dialog = a.page.locator("#resign-dialog")
    expect(dialog).to_be_visible()
    a.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    a.page.get_by_role("link", name="Resign").click()
    a.page.get_by_role("button", name="Keep playing").click()
    expect(dialog).to_be_hidden()
    assert a.board() == "O---X----"
    a.page.get_by_role("link", name="Resign").click()
    a.screenshot(artifacts / "resign-dialog-1280.png")
    a.page.get_by_role("button", name="Yes, resign").click()
    expect(a.status).to_have_text(f"{b.name} won.")
    expect(b.status).to_have_text("You won!", timeout=SEE_MOVE_WITHIN * 1000)  # b was waiting
    assert a.failures == b.failures == []

    b.page.goto(f"/players/{b.name}")  # two wins: 1200 + 16, then + 15 against 1184 + 16
    expect(b.page.locator(".rating-value")).to_have_text("1231")
    expect(b.page.locator(".counts")).to_contain_text("Wins2")
    shots(b, artifacts, "player")
    b.page.get_by_role("link", name="Leaderboard").first.click()
    expect(b.page.locator("tbody th", has_text=b.name)).to_be_visible()
    shots(b, artifacts, "leaderboard")


def test_a_replay_with_the_keyboard(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    a, b = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    a.invite(b)
    b.accept(a)
    play(b, a, WIN)
    b.page.reload()  # a finished game, as anyone opening it later sees it
    at = b.page.locator("#replay-at")
    expect(at).to_have_text("Move 5 of 5")

    b.page.keyboard.press("Home")
    expect(at).to_have_text("Move 0 of 5")
    assert b.board() == "-" * 9
    for number in range(1, 4):
        b.page.keyboard.press("ArrowRight")
        expect(at).to_have_text(f"Move {number} of 5")
        assert b.board() == board_after(WIN[:number])
    b.page.keyboard.press("ArrowLeft")
    expect(at).to_have_text("Move 2 of 5")
    expect(b.page.locator("#board .cell.win")).to_have_count(0)

    forward = b.page.get_by_role("button", name="Forward one move")
    for _ in range(30):  # Tab to the replay's buttons: focus shows, Enter presses
        b.page.keyboard.press("Tab")
        if forward.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the replay's Forward button")
    ring = forward.evaluate(
        "el => el.matches(':focus-visible') && parseFloat(getComputedStyle(el).outlineWidth) >= 2"
    )
    assert ring, "the focused replay button shows no visible focus ring"
    b.page.keyboard.press("Enter")
    expect(at).to_have_text("Move 3 of 5")
    assert b.board() == board_after(WIN[:3])
    shots(b, artifacts, "replay-midway")

    b.page.keyboard.press("End")
    expect(at).to_have_text("Move 5 of 5")
    expect(b.page.locator("#board .cell.win")).to_have_count(3)
    assert b.failures == []


def test_a_challenge_link_opened_by_a_signed_out_browser(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    host = players(whole_stack.url).sign_up()
    host.page.get_by_role("button", name="Create a challenge link").click()
    expect(host.status).to_have_text("Your challenge is open: send the link to a friend.")
    link = host.page.locator("input.share-link").input_value()
    assert re.fullmatch(rf"{re.escape(whole_stack.url)}/games/[A-Za-z0-9_-]+", link)
    shots(host, artifacts, "challenge-host")
    host.page.goto("/")
    expect(host.page.locator(".row.challenge input.share-link")).to_have_value(link)
    host.page.goto(link)

    guest = players(whole_stack.url, *PHONE)  # a second browser, never signed in
    guest.page.goto(link)
    expect(guest.page.get_by_text("you will go straight there")).to_be_visible()
    shots(guest, artifacts, "challenge-signed-out")
    card = guest.page.locator("section", has=guest.page.locator("#signup-h"))
    card.get_by_label("Username").fill(guest.name)
    card.get_by_label("Password").fill(PASSWORD)
    card.get_by_role("button", name="Create account").click()
    expect(guest.page).to_have_url(link)  # straight back to the challenge
    join = guest.page.get_by_role("button", name=f"Join {host.name}'s game")
    expect(join).to_be_visible()
    shots(guest, artifacts, "challenge-signed-in")

    set_hidden(host.page, True)  # the host looks at another tab
    title = host.page.title()
    join.click()
    expect(guest.status).to_have_text("Your turn.")  # the taker plays X
    expect(host.page).to_have_title(title)  # not the host's turn yet: the title stays
    guest.cell(4).click()
    expect(host.page).to_have_title(f"Your turn · {title}", timeout=SEE_HIDDEN_WITHIN * 1000)
    set_hidden(host.page, False)
    expect(host.page).to_have_title(title)
    expect(host.status).to_have_text("Your turn.")
    expect(host.page.locator(".players a.player", has_text=guest.name)).to_be_visible()
    assert host.failures == [] and guest.failures == []
