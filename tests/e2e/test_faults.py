"""Losing an app instance or the database for a moment loses nothing the players did."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Route, expect

from .conftest import PlayerFactory
from .players import TIE, WIN, BrowserPlayer, board_after, play
from .stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

UNAVAILABLE = re.compile(r"temporarily unavailable.*try again", re.IGNORECASE)


def new_game(stack: Stack, players: PlayerFactory) -> tuple[BrowserPlayer, BrowserPlayer]:
    """Two signed-up players through nginx, on a game the second (X) has accepted."""
    host, guest = players(stack.url), players(stack.url)
    host.sign_up()
    guest.sign_up()
    host.invite(guest)
    guest.accept(host)
    return guest, host


def stored(player: BrowserPlayer) -> tuple[int, str]:
    """The game's version and board as the server has them (its ETag: "<version>-<board>")."""
    game_id = player.page.url.split("/games/")[1].split("?")[0]
    response = player.context.request.get(f"/api/games/{game_id}")
    assert response.ok, response.text()
    version, board = response.headers["etag"].strip('W/"').split("-", 1)
    return int(version), board


def test_killed_instance_loses_nothing_and_rejoins(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    x, o = new_game(whole_stack, players)
    play(x, o, TIE[:3])

    victim = whole_stack.instances[0]
    whole_stack.kill_instance(victim)
    play(x, o, TIE[3:6], start=3)

    whole_stack.restart_instance(victim)
    back_from = len(whole_stack.hits())
    time.sleep(1.2)  # nginx gives a failed server another chance after fail_timeout (1 s)
    play(x, o, TIE[6:], start=6)

    for player in (x, o):
        expect(player.status).to_have_text("It's a tie.")
        assert player.board() == board_after(TIE)
        expect(player.problem).to_be_hidden()
    assert stored(x) == (2 + len(TIE), board_after(TIE))
    seen = x.failures + o.failures
    assert len(seen) <= 1, f"players saw more than one failed request: {seen}"
    rejoined = [
        h for h in whole_stack.hits()[back_from:] if h.upstream == victim.addr and h.status < 400
    ]
    assert rejoined, "the restarted instance served no request"


def test_a_move_whose_answer_is_lost_is_sent_again_and_lands_once(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    """What a player sees when the instance that took their move dies before answering."""
    x, o = new_game(whole_stack, players)
    play(x, o, WIN[:2])
    lost = []

    def lose_the_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        route.fetch()  # the move reaches an instance and lands; its answer never comes back
        lost.append(route.request.url)
        route.fulfill(status=502, body="Bad Gateway")

    x.page.route("**/api/games/*/moves", lose_the_answer)
    play(x, o, WIN[2:], start=2)

    assert lost, "no answer was lost"
    expect(x.status).to_have_text("You won!")
    expect(x.problem).to_be_hidden()
    assert stored(o) == (2 + len(WIN), board_after(WIN))  # the move sent twice counts once


def test_database_outage_says_try_again_and_the_game_resumes(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    x, o = new_game(whole_stack, players)
    # With push the waiting page hears nothing while nothing changes (its stream stays open):
    # refuse its streams, so it polls as a page without push does, and its poll reports.
    refuse = re.compile(r"/events(\?.*)?$")
    o.page.route(refuse, lambda route: route.fulfill(status=503, body=""))
    with o.page.expect_request(re.compile(r"/api/games/[A-Za-z0-9_-]+$"), timeout=10_000):
        o.page.reload()  # its stream refused, the page polls at once
    play(x, o, WIN[:2])

    whole_stack.stop_dynamodb()
    x.cell(WIN[2]).click()
    # The player who tried to move is told why, on a page that still works.
    expect(x.problem).to_have_text(UNAVAILABLE)
    expect(x.status).to_have_text("Your turn.")
    expect(x.cell(WIN[2])).to_have_text("")
    expect(x.cell(WIN[2])).to_be_enabled()
    # The waiting player's poll says the same; a full page load gets a clear 503 page.
    expect(o.problem).to_have_text(UNAVAILABLE, timeout=10_000)
    response = o.page.reload()
    assert response is not None and response.status == 503
    expect(o.page.get_by_role("heading", level=1)).to_have_text("Try again in a moment")
    expect(o.page.get_by_role("alert")).to_have_text(UNAVAILABLE)
    o.screenshot(artifacts / "outage-page.png")
    x.screenshot(artifacts / "outage-game.png")

    whole_stack.start_dynamodb()
    o.page.unroute(refuse)
    x.cell(WIN[2]).click()  # the same move again
    expect(x.cell(WIN[2])).to_have_text("X")
    expect(x.problem).to_be_hidden()
    assert o.page.reload().status == 200  # type: ignore[union-attr]
    assert o.board() == board_after(WIN[:3])
    play(x, o, WIN[3:], start=3)

    expect(x.status).to_have_text("You won!")
    expect(o.status).to_have_text(f"{x.name} won.")
    # Every move exactly once: create (1) + accept (1) + one version per move.
    assert stored(o) == (2 + len(WIN), board_after(WIN))
    unexpected = [f for f in x.failures + o.failures if not f.startswith("503 ")]
    assert unexpected == []
