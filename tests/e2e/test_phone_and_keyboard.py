"""The pages at a phone's width, and a whole game played with the keyboard alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import PlayerFactory
from .players import SEE_MOVE_WITHIN, WIN, BrowserPlayer, board_after
from .stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

PHONE = (390, 844)
DESKTOP = (1280, 900)

# Controls that stick out of the viewport or are too small to tap, and horizontal scrolling.
_OUT_OF_REACH = """() => {
  const controls = [...document.querySelectorAll("a, button, input:not([type=hidden])")];
  const bad = controls.filter((el) => el.getClientRects().length > 0).filter((el) => {
    const r = el.getBoundingClientRect();
    return r.left < 0 || r.right > innerWidth || r.height < 24;
  }).map((el) => el.outerHTML.slice(0, 80));
  if (document.documentElement.scrollWidth > innerWidth) bad.push("the page scrolls sideways");
  return bad;
}"""


# The focused cell's ring and the winning line's mark, as drawn, and the ring's contrast
# against the page behind it (WCAG's relative luminance).
_RING_AND_LINE = """(cell) => {
  const style = getComputedStyle(cell);
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map((v) => Number(v) / 255);
  const linear = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const lum = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  const ring = lum(rgb(style.outlineColor));
  const page = lum(rgb(getComputedStyle(document.documentElement).backgroundColor));
  return {
    ring: style.outlineColor, ringStyle: style.outlineStyle,
    offset: parseFloat(style.outlineOffset), line: style.borderTopColor,
    contrast: (Math.max(ring, page) + 0.05) / (Math.min(ring, page) + 0.05),
  };
}"""


def fits(page: Page) -> None:
    """Every control is on screen and big enough to tap; nothing scrolls sideways."""
    page.wait_for_load_state("load")  # measure with the stylesheet applied
    assert page.evaluate(_OUT_OF_REACH) == []


def keyboard_move(
    player: BrowserPlayer, index: int, key: str, mark: str, shot: Path | None = None
) -> None:
    """Tab to cell `index`, check its focus is visible, and play it with `key`."""
    cell = player.cell(index)
    expect(cell).to_be_enabled(timeout=SEE_MOVE_WITHIN * 1000)
    for _ in range(30):
        player.page.keyboard.press("Tab")
        if cell.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError(f"Tab never reached cell {index}")
    outline = cell.evaluate(
        "el => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle !== 'none'"
        " && parseFloat(getComputedStyle(el).outlineWidth) >= 2"
    )
    assert outline, "the focused cell shows no visible focus ring"
    if shot:
        player.screenshot(shot)
    player.page.keyboard.press(key)
    expect(cell).to_have_text(mark)
    # The keyboard's place stays on the cell just played, with its ring, as the game goes on.
    expect(cell).to_be_focused()
    assert cell.evaluate("el => el.matches(':focus-visible')"), "the played cell lost its ring"


def test_phone_width_and_keyboard_alone(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    host, guest = players(whole_stack.url, *PHONE), players(whole_stack.url, *PHONE)
    host.sign_up()
    fits(host.page)
    guest.sign_up()
    host.invite(guest)
    guest.accept(host)

    board = guest.page.locator("#board").bounding_box()
    assert board is not None and board["x"] >= 0 and board["x"] + board["width"] <= PHONE[0]
    cells = [guest.cell(i).bounding_box() for i in range(9)]
    assert all(c is not None and min(c["width"], c["height"]) >= 44 for c in cells)
    for player in (host, guest):
        fits(player.page)

    for number, index in enumerate(WIN):
        # X plays with Enter, O with Space; nobody touches the mouse.
        mover, key, mark = (guest, "Enter", "X") if number % 2 == 0 else (host, " ", "O")
        shot = artifacts / "phone-game-focus.png" if number == 2 else None
        keyboard_move(mover, index, key, mark, shot)

    expect(guest.status).to_have_text("You won!")
    expect(host.status).to_have_text(f"{guest.name} won.")
    # The winning move's cell keeps the focus: its ring is not the winning line's mark.
    winning = guest.cell(WIN[-1])
    expect(winning).to_be_focused()
    expect(winning).to_have_class("cell x win")
    drawn = winning.evaluate(_RING_AND_LINE)
    assert drawn["ring"] != drawn["line"], drawn
    assert drawn["ringStyle"] == "solid" and drawn["offset"] > 0, drawn  # around the cell
    assert drawn["contrast"] >= 3, drawn  # WCAG 2.2's minimum for a focus indicator
    guest.screenshot(artifacts / "phone-game-won-focus.png")
    assert host.board() == board_after(WIN)
    assert host.failures == guest.failures == []

    for width, height in (PHONE, DESKTOP):
        guest.page.set_viewport_size({"width": width, "height": height})
        fits(guest.page)
        guest.screenshot(artifacts / f"game-{width}.png")
        guest.page.goto("/")
        fits(guest.page)
        guest.screenshot(artifacts / f"home-{width}.png")
        guest.page.go_back()

    visitor = players(whole_stack.url, *PHONE)  # signed out: the welcome page
    for width, height in (PHONE, DESKTOP):
        visitor.page.set_viewport_size({"width": width, "height": height})
        visitor.page.goto("/")
        fits(visitor.page)
        visitor.screenshot(artifacts / f"welcome-{width}.png")
