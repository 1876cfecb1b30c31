"""A pair's fourth game in a day, played in two browsers: both pages say it is not rated."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tictactoe.rules.ratings import RATED_PER_PAIR

from .conftest import PlayerFactory
from .players import WIN, play
from .stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

UNRATED = "Not rated: you have played each other 3 times today."


def test_the_fourth_game_of_a_pair_says_it_is_not_rated_on_both_pages(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    a, b = players(whole_stack.url), players(whole_stack.url)
    a.sign_up()
    b.sign_up()
    for _ in range(RATED_PER_PAIR):
        a.invite(b)
        b.accept(a)  # the invited player is X and moves first
        play(b, a, WIN)
        expect(b.status).to_have_text("You won!")  # rated: nothing more said
        expect(a.status).to_have_text(f"{b.name} won.")

    a.invite(b)
    b.accept(a)
    play(b, a, WIN)
    # The winner's page heard it in its move's answer, the loser's from its stream or polls.
    expect(b.status).to_have_text(f"You won! {UNRATED}")
    expect(a.status).to_have_text(f"{b.name} won. {UNRATED}")
    a.page.reload()  # and the server says the same
    expect(a.status).to_have_text(f"{b.name} won. {UNRATED}")
    assert a.failures == [] and b.failures == []
