"""A game against the computer in a real browser, from the home page to its result and rematch:
the computer's seat reads "Computer (easy)", its reply shows a beat after the player's mark,
and a screen reader is told both moves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import PlayerFactory
from .players import BrowserPlayer
from .stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

RESULT = re.compile(r"^(You won!|It's a tie\.|Computer \(easy\) won\.)$")
REPLY_BEAT_MS = 200  # the page waits ~300 ms between the two marks; the eye needs most of it
# What a screen reader hears after each reply: the player's move and the computer's.
BOTH_MOVES = re.compile(
    r"^You played row \d, column \d\. Computer \(easy\) played row \d, column \d\.$"
)

# When each cell got its mark, in page time: set up once, it sees every move after it.
_WATCH_MARKS = """() => {
  window.markedAt = {};
  document.querySelectorAll('#board button.cell').forEach((cell, i) => {
    new MutationObserver(() => {
      if (cell.textContent && !(i in window.markedAt)) window.markedAt[i] = performance.now();
    }).observe(cell, { childList: true, characterData: true, subtree: true });
  });
}"""


def start_against_the_computer(player: BrowserPlayer, level: str, first: str) -> None:
    player.page.goto("/")
    form = player.page.locator("#computer-form")
    form.get_by_label(level.capitalize(), exact=True).check()
    form.get_by_label(first, exact=True).check()
    form.get_by_role("button", name="Play the computer").click()


def play_to_the_end(player: BrowserPlayer) -> list[float]:
    """Play the first empty cell until the game is over; return each reply's delay (ms)."""
    page, beats = player.page, []
    page.evaluate(_WATCH_MARKS)
    while "-" in player.board() and player.status.inner_text() == "Your turn.":
        before = player.board()
        cell = before.index("-")
        player.cell(cell).click()
        expect(player.cell(cell)).to_have_text("X")
        expect(player.page.locator("#board.busy")).to_have_count(0)
        after = player.board()
        replies = [
            i
            for i, (was, now) in enumerate(zip(before, after, strict=True))
            if was == "-" and now == "O"
        ]
        if replies:  # the computer replied (unless the player's move ended the game)
            (reply,) = replies
            beats.append(page.evaluate(f"window.markedAt[{reply}] - window.markedAt[{cell}]"))
            expect(page.locator("#moves-news")).to_have_text(BOTH_MOVES)
    return beats


def test_a_game_against_the_easy_computer_to_its_end(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    player = players(whole_stack.url).sign_up()
    start_against_the_computer(player, "easy", "Me")
    expect(player.status).to_have_text("Your turn.")
    seats = player.page.locator(".players")
    expect(seats).to_contain_text(f"{player.name} X")
    expect(seats).to_contain_text("Computer (easy) O")
    expect(player.page.locator('a[href^="/players/computer"]')).to_have_count(0)  # no page
    expect(player.page.locator("#claim")).to_have_count(0)
    assert player.board() == "-" * 9

    beats = play_to_the_end(player)
    expect(player.status).to_have_text(RESULT)
    assert beats and all(b >= REPLY_BEAT_MS for b in beats), beats
    player.screenshot(artifacts / "computer-game.png")

    player.page.get_by_role("button", name="Rematch").click()  # marks swapped: it plays X
    expect(player.status).to_have_text("Your turn.")
    expect(seats).to_contain_text("Computer (easy) X")
    assert player.board().count("X") == 1 and player.board().count("O") == 0

    player.page.goto("/")  # the finished game is in the player's lists, against the computer
    finished = player.page.locator("section", has=player.page.locator("#done-h"))
    expect(finished.locator(".row", has_text="Computer")).to_have_count(1)
    assert player.failures == []
