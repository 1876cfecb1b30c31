"""Presence on the game page, in Chromium across the two instances: the opponent's dot says
"here" while their page is open and "away" once it closes, the countdown to the claim shows,
a watcher is counted, and a return puts it all back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PlayerFactory
from .stack import Stack
from .test_faults import new_game

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

# The stream process sees a closed page within 2 s (web/streams.py HANG_UP_CHECK); the rest is
# room for a loaded machine.
SEEN_WITHIN_MS = 8_000


def test_the_opponent_s_dot_turns_away_when_their_page_closes_and_the_countdown_shows(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    b, a = new_game(whole_stack, players)  # b (X) is to move; a waits
    c = players(whole_stack.url).sign_up()
    game_url = a.page.url
    presence, countdown = a.page.locator("#presence"), a.page.locator("#countdown")
    expect(presence).to_have_text(f"{b.name} is here", timeout=SEEN_WITHIN_MS)
    expect(presence.locator(".here")).to_have_count(1)  # the filled dot beside the words
    expect(countdown).to_be_hidden()

    c.page.goto(game_url)  # someone else opens the game: a watcher
    expect(presence).to_have_text(f"{b.name} is here · 1 watching", timeout=SEEN_WITHIN_MS)
    c.page.goto("/")

    b.page.goto("/")  # b leaves the game's page
    expect(presence).to_have_text(f"{b.name} is away", timeout=SEEN_WITHIN_MS)
    expect(presence.locator(".away")).to_have_count(1)
    expect(countdown).to_have_text(
        re.compile(rf"{b.name} is away: you may claim the win in [01]:\d\d\.")
    )
    expect(a.page.get_by_role("button", name="Claim the win")).to_be_hidden()  # not yet

    b.page.goto(game_url)  # back before the minute is up: no claim, no countdown
    expect(presence).to_have_text(f"{b.name} is here", timeout=SEEN_WITHIN_MS)
    expect(countdown).to_be_hidden()
    assert a.failures == [] and b.failures == [] and c.failures == []
