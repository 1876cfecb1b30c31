"""Live games in Chromium: a third player finds a game from the header and watches it, read-only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import PlayerFactory
from .players import play
from .stack import Stack
from .test_faults import new_game

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]


def test_a_watcher_finds_a_live_game_and_sees_its_moves_without_playing(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    guest, host = new_game(whole_stack, players)  # the invited player is X and moves first
    watcher = players(whole_stack.url).sign_up()
    play(guest, host, [4])

    page = watcher.page
    page.get_by_role("link", name="Live games").click()
    expect(page.get_by_role("heading", name="Live games")).to_be_visible()
    row = page.locator(".live-games .row", has_text=guest.name)
    expect(row).to_contain_text(host.name)
    expect(row).to_contain_text(f"{host.name} to move")
    row.get_by_role("link", name=f"Watch {guest.name} against {host.name}").click()

    expect(watcher.status).to_have_text(f"{host.name}'s turn…")
    assert watcher.board() == "----X----"
    for index in range(9):
        expect(watcher.cell(index)).to_be_disabled()
    expect(page.get_by_role("link", name="Resign")).to_have_count(0)
    expect(page.get_by_role("button", name="Claim the win")).to_have_count(0)

    play(guest, host, [0], start=1)  # the host plays O: the watcher's page shows it live
    expect(watcher.cell(0)).to_have_text("O")
    expect(watcher.status).to_have_text(f"{guest.name}'s turn…")
    for index in range(9):
        expect(watcher.cell(index)).to_be_disabled()
    assert host.failures == [] and guest.failures == [] and watcher.failures == []
