"""Elo ratings and the leaderboard's order: pure arithmetic, tested without AWS."""

from __future__ import annotations

import pytest

from tictactoe.rules import ratings


def test_a_first_game_won_moves_both_players_sixteen_points() -> None:
    assert ratings.after_game(1200, 1200, ratings.WIN) == (1216, 1184)
    assert ratings.after_game(1200, 1200, ratings.LOSS) == (1184, 1216)


def test_a_tie_between_equal_ratings_changes_nothing() -> None:
    assert ratings.after_game(1200, 1200, ratings.TIE) == (1200, 1200)
    assert ratings.after_game(1350.5, 1350.5, ratings.TIE) == (1350.5, 1350.5)


def test_a_tie_moves_unequal_ratings_towards_each_other() -> None:
    stronger, weaker = ratings.after_game(1400, 1200, ratings.TIE)
    assert stronger < 1400 and weaker > 1200
    assert stronger + weaker == pytest.approx(2600)  # points move, none are made


@pytest.mark.parametrize("score", [ratings.WIN, ratings.TIE, ratings.LOSS])
def test_what_one_player_gains_the_other_loses(score: float) -> None:
    first, second = ratings.after_game(1523.25, 1187.5, score)
    assert first + second == pytest.approx(1523.25 + 1187.5)
    assert abs(first - 1523.25) <= ratings.K


def test_beating_a_stronger_player_gains_more() -> None:
    upset, _ = ratings.after_game(1200, 1400, ratings.WIN)
    expected_win, _ = ratings.after_game(1400, 1200, ratings.WIN)
    assert upset - 1200 > expected_win - 1400 > 0


def test_ratings_are_stored_unrounded_and_shown_rounded() -> None:
    rating = ratings.rated(1216, 1184, ratings.WIN)
    assert float(ratings.stored(rating)) == pytest.approx(rating, abs=1e-6)
    assert ratings.stored(1216.0) == "1216" and ratings.stored(1183.25) == "1183.25"
    assert [ratings.shown(r) for r in (1215.5, 1215.49, 1184.0, -0.5)] == [1216, 1215, 1184, -1]


def test_rank_orders_by_rating_then_wins() -> None:
    ordered = [(1300.0, 0), (1216.0, 7), (1216.0, 2), (1215.998, 10**12), (1200.0, 0)]
    ranks = [ratings.rank(r, w) for r, w in ordered]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == len(ranks)
