"""How a game ends: the write that marks it finished, and the game as that write leaves it.

Every ending (the move that wins or fills the board, a resignation, a claim; a reply of the
computer) is finished by the same update, built here: results.py runs it in the transaction
that counts the result, computer.py alone in one UpdateItem (such games are not counted). It
records whether the finish moved ratings (Rated): only results.py's counting transaction
writes true.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tictactoe.rules.board import EMPTY, Game, Status
from tictactoe.store.items import FINISHED, s


@dataclass(frozen=True)
class Ending:
    """How a game ends: its final board and winner, and what the finishing write checks."""

    board: str
    winner: str | None  # None: a tie
    condition: str = ""  # beyond "in progress, at the version read"
    values: dict[str, Any] = field(default_factory=dict)
    cells: tuple[int, ...] = ()  # the move that ended it, if one did (and a reply to it)
    rated: bool = False  # the finish moves ratings: only in the transaction that counts it


def finishing(ending: Ending, stamp: str) -> tuple[str, dict[str, Any]]:
    """Return the update (and its values) that marks a game finished the way `ending` says.

    Status and StatusDate move to FINISHED (the index entries with them), the final board,
    winner and Rated are written once, and Turn and Waiting go, as do Live and LiveSince
    (the game leaves the live index: store/live.py; a computer game has neither, a no-op).
    The caller adds the condition.
    """
    sets = [
        "#st = :over",
        "StatusDate = :sd",
        "Board = :board",
        "FinalBoard = :board",
        "Version = Version + :one",
        "UpdatedAt = :now",
        "Rated = :rated",
    ]
    values: dict[str, Any] = {
        ":over": s(Status.FINISHED),
        ":sd": s(FINISHED + stamp),
        ":board": s(ending.board),
        ":one": {"N": "1"},
        ":now": s(stamp),
        ":rated": {"BOOL": ending.rated},
    }
    if ending.winner:
        sets.append("Winner = :winner")
        values[":winner"] = s(ending.winner)
    if ending.cells:
        sets.append("Moves = list_append(if_not_exists(Moves, :none), :cells)")
        values |= {":none": {"L": []}, ":cells": {"L": [{"N": str(c)} for c in ending.cells]}}
    return "SET " + ", ".join(sets) + " REMOVE Turn, Waiting, Live, LiveSince", values


def finished(game: Game, ending: Ending, stamp: str) -> Game:
    """Return the game as the finishing write left it (the write returns nothing)."""
    moves = game.moves + ending.cells
    if len(moves) != sum(c != EMPTY for c in ending.board):
        moves = ()  # a game from before moves were recorded (as items.moves_of reads it)
    return replace(
        game,
        status=Status.FINISHED,
        board=ending.board,
        turn=None,
        winner=ending.winner,
        updated_at=stamp,
        version=game.version + 1,
        moves=moves,
        rated=ending.rated,
    )
