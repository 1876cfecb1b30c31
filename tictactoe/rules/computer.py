"""The computer opponent: the cell it plays at each level, and a new game against it. Pure.

The random choices come from the `rng` the caller passes (a random.Random), so a test can
make them the same every time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from random import Random

from tictactoe.rules.board import (
    CELLS,
    COMPUTER,
    EMPTY,
    LINES,
    NEW_BOARD,
    Game,
    NotInProgress,
    O,
    Placed,
    Status,
    X,
    mark_to_move,
    place,
    winning_mark,
)

# easy: any empty cell; medium: a win if it has one, else a block if it must, else any cell;
# perfect: a best move by minimax, so it never loses.
LEVELS = ("easy", "medium", "perfect")
Opening = Callable[[str], int]  # a level -> the computer's first cell on an empty board


def reply(board: str, level: str, rng: Random) -> int:
    """Return the cell the computer plays on `board` (its mark is the one to move) at `level`."""
    empty = [c for c in CELLS if board[c] == EMPTY]
    if not empty or winning_mark(board):
        raise NotInProgress("this game is over")
    if level == "easy":
        return rng.choice(empty)
    if level == "medium":
        mine, theirs = mark_to_move(board), _other(mark_to_move(board))
        found = _completing(board, mine)
        found = found if found is not None else _completing(board, theirs)
        return found if found is not None else rng.choice(empty)
    if level == "perfect":
        return rng.choice(best_cells(board))
    raise ValueError(f"no such level: {level!r}")


def answer(seen: str, cell: int, level: str, rng: Random) -> tuple[Placed, Placed | None]:
    """Place the player's mark on `cell` of `seen`, then the computer's reply (None: game over)."""
    placed = place(seen, cell)
    if placed.over:
        return placed, None
    return placed, place(placed.board, reply(placed.board, level, rng))


def landed(board: str, placed: Placed) -> bool:
    """Return True when `board` is `placed.board`, or that board with the computer's reply."""
    changed = [c for c in CELLS if board[c] != placed.board[c]]
    return not changed or (
        len(changed) == 1
        and placed.board[changed[0]] == EMPTY
        and board[changed[0]] == _other(placed.mark)
    )


def new_game(
    game_id: str,
    player: str,
    level: str,
    created_at: str,
    opening: int | None,
    picture: str | None = None,
) -> Game:
    """Return a new game of `player` against the computer at `level`, in progress.

    The computer plays X when it has an `opening` (its first cell, already on the board);
    otherwise the player plays X. Either way it is the player's turn.
    """
    board = NEW_BOARD if opening is None else place(NEW_BOARD, opening).board
    moves = () if opening is None else (opening,)
    return Game(
        game_id,
        player,
        COMPUTER,
        Status.IN_PROGRESS,
        board,
        player,
        None,
        created_at,
        created_at,
        1,
        host_picture=picture,
        x_is_host=opening is None,
        moves=moves,
        level=level,
    )


def best_cells(board: str) -> list[int]:
    """Return every cell that is best for the mark to move on `board` (minimax)."""
    scores = {c: -_score(place(board, c).board) for c in CELLS if board[c] == EMPTY}
    best = max(scores.values())
    return [c for c, score in scores.items() if score == best]


@cache
def _score(board: str) -> int:
    """Score `board` for the mark to move, with best play by both: > 0 a win, 0 a tie.

    A win scores more the more cells are left empty, so the computer wins as soon as it can
    and, when it cannot avoid losing (it never has to), loses as late as possible.
    """
    if winning_mark(board):
        return -(1 + board.count(EMPTY))  # the mark that just moved has won
    if EMPTY not in board:
        return 0
    return max(-_score(place(board, c).board) for c in CELLS if board[c] == EMPTY)


def _completing(board: str, mark: str) -> int | None:
    """Return an empty cell that completes a line of `mark`, if there is one."""
    for line in LINES:
        marks = [board[c] for c in line]
        if marks.count(mark) == 2 and marks.count(EMPTY) == 1:
            return line[marks.index(EMPTY)]
    return None


def _other(mark: str) -> str:
    return O if mark == X else X
