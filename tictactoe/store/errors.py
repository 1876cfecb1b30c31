"""The errors a store raises: the adapters' storage errors, and a conditional write refused."""

from __future__ import annotations

from tictactoe.adapters.errors import (
    NotFound,
    StoreError,
    Taken,
    Unavailable,
    cancellation_reasons,
    error_code,
    refused_item,
    translated,
)
from tictactoe.rules.board import Game

__all__ = [
    "NotFound",
    "Rejected",
    "StoreError",
    "Taken",
    "Unavailable",
    "cancellation_reasons",
    "error_code",
    "refused_item",
    "translated",
]


class Rejected(Exception):
    """A conditional write failed; `current` is the game as it is now (None: it is gone)."""

    def __init__(self, current: Game | None) -> None:
        super().__init__("the game changed or does not allow this")
        self.current = current
