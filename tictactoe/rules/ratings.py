"""Elo ratings and the leaderboard's order: pure arithmetic, no I/O."""

from __future__ import annotations

START = 1200.0  # a player who never finished a game
K = 32  # the most one game can move a rating
WIN, TIE, LOSS = 1.0, 0.5, 0.0  # a player's score in a game
# A pair of players' games move ratings at most RATED_PER_PAIR times in any PAIR_WINDOW_SECONDS
# (a rolling window); later ones between the same two are unrated, so two accounts cannot
# trade wins to climb the leaderboard.
RATED_PER_PAIR = 3
PAIR_WINDOW_SECONDS = 24 * 3600
# Rank packs (rating to a thousandth, wins) into one number that sorts by rating, then wins.
_WINS_ROOM = 10**9


def expected(rating: float, other: float) -> float:
    """Return the score `rating` is expected to make against `other` (0 to 1)."""
    # typeshed types float ** float as Any (a negative base can give a complex number).
    odds: float = 10.0 ** ((other - rating) / 400.0)
    return 1.0 / (1.0 + odds)


def rated(rating: float, other: float, score: float) -> float:
    """Return `rating` after a game against `other` that scored `score` (WIN, TIE or LOSS)."""
    return rating + K * (score - expected(rating, other))


def after_game(first: float, second: float, first_score: float) -> tuple[float, float]:
    """Return both players' ratings after their game; the second scores 1 - first_score."""
    return rated(first, second, first_score), rated(second, first, 1.0 - first_score)


def stored(rating: float) -> str:
    """Return `rating` as the number text to store: unrounded to a millionth."""
    return f"{rating:.6f}".rstrip("0").rstrip(".")


def shown(rating: float) -> int:
    """Return the rating a player sees: the nearest whole number (display only)."""
    return int(rating + 0.5) if rating >= 0 else -int(-rating + 0.5)


def rank(rating: float, wins: int) -> int:
    """Return a whole number that orders players by rating (to a thousandth), then by wins."""
    return round(rating * 1000) * _WINS_ROOM + min(max(wins, 0), _WINS_ROOM - 1)
