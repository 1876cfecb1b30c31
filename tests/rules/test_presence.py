"""The claim's two clocks (rules/board.py claimable_at) and what presence shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from tictactoe.rules import board
from tictactoe.rules.board import Game, Status
from tictactoe.rules.clock import now
from tictactoe.rules.presence import Here, left_at, shown

DAY3 = 3 * 24 * 3600
MOVED = "2026-01-01T10:00:00.000000Z"  # the game's last move: bob's turn since then
PLAYING = Game(
    id="g1",
    host="alice",
    opponent="bob",
    status=Status.IN_PROGRESS,
    board="X--------",
    turn="bob",
    winner=None,
    created_at="2026-01-01T09:00:00.000000Z",
    updated_at=MOVED,
    version=3,
)


def at(text: str) -> float:
    """The epoch seconds of a store time."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (None, "2026-01-04T10:00:00.000000Z"),  # here, or unknown: the turn timeout alone
        ("2026-01-01T10:05:00.000000Z", "2026-01-01T10:06:00.000000Z"),  # left after the move
        ("2026-01-01T09:30:00.000000Z", "2026-01-01T10:01:00.000000Z"),  # gone before: from it
        ("2026-01-05T00:00:00.000000Z", "2026-01-04T10:00:00.000000Z"),  # the timeout is sooner
    ],
)
def test_the_claim_opens_at_the_earlier_of_the_timeout_and_the_absence(
    left: str | None, expected: str
) -> None:
    assert board.claimable_at(PLAYING, DAY3, left, 60) == expected


def test_a_game_not_being_played_has_no_claim_whoever_left() -> None:
    finished = replace(PLAYING, status=Status.FINISHED, turn=None)
    assert board.claimable_at(finished, DAY3, "2026-01-01T10:05:00.000000Z", 60) is None


def test_the_player_to_move_who_left_is_away_from_when_they_were_last_here() -> None:
    here = Here("g1", frozenset({"alice"}), {"alice": at(MOVED), "bob": at(MOVED) + 30})
    assert left_at(PLAYING, here) == now(at(MOVED) + 30)


@pytest.mark.parametrize(
    "here",
    [
        None,  # presence unknown (push off, the bus down)
        Here("g1", frozenset({"bob"}), {"bob": 1.0}),  # the player to move is here
        Here("g1", frozenset(), {"alice": 1.0}),  # never seen: no moment they left
    ],
)
def test_no_absence_counts_while_here_unknown_or_never_seen(here: Here | None) -> None:
    assert left_at(PLAYING, here) is None


def test_no_absence_counts_against_the_computer() -> None:
    computer = replace(PLAYING, opponent=board.COMPUTER, turn=board.COMPUTER, level="easy")
    assert left_at(computer, Here("g1", frozenset(), {board.COMPUTER: 1.0})) is None


def test_presence_shows_the_players_here_sorted_and_counts_the_rest_as_watchers() -> None:
    here = Here("g1", frozenset({"bob", "carol", "alice", "dave"}))
    assert shown(here, ("alice", "bob")) == {"here": ["alice", "bob"], "watchers": 2}
    assert shown(Here("g1"), ("alice", "bob")) == {"here": [], "watchers": 0}
