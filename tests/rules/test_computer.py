"""The computer opponent's choices, pure: every level, with a seeded random source."""

from __future__ import annotations

from random import Random

import pytest

from tictactoe.rules import computer
from tictactoe.rules.board import (
    COMPUTER,
    EMPTY,
    NEW_BOARD,
    NotAPlayer,
    NotInProgress,
    O,
    Status,
    X,
    place,
    winning_mark,
)
from tictactoe.rules.names import is_kept


def empty_cells(board: str) -> list[int]:
    return [c for c in range(9) if board[c] == EMPTY]


@pytest.mark.parametrize("board", [NEW_BOARD, "X---O----", "XO-OX-X-O"])
def test_easy_plays_an_empty_cell_and_the_same_one_for_the_same_seed(board: str) -> None:
    chosen = {computer.reply(board, "easy", Random(seed)) for seed in range(40)}
    assert chosen <= set(empty_cells(board))
    assert len(chosen) > 1  # at random, not always the first free cell
    assert computer.reply(board, "easy", Random(7)) == computer.reply(board, "easy", Random(7))


@pytest.mark.parametrize(
    ("board", "cell"),
    [("XX-OO----", 2), ("XX-OO-X--", 5)],
    ids=["X wins on the top row, not blocking O", "O wins on the middle row, not blocking X"],
)
def test_medium_takes_a_win_before_a_block(board: str, cell: int) -> None:
    for seed in range(20):
        assert computer.reply(board, "medium", Random(seed)) == cell


@pytest.mark.parametrize(("board", "cell"), [("XX-O-----", 2), ("O--X-X---", 4), ("X-O-X----", 8)])
def test_medium_blocks_when_it_must(board: str, cell: int) -> None:
    for seed in range(20):
        assert computer.reply(board, "medium", Random(seed)) == cell


def test_medium_without_a_win_or_a_threat_plays_at_random() -> None:
    board = "X--------"  # O to move, no line of two anywhere
    chosen = {computer.reply(board, "medium", Random(seed)) for seed in range(40)}
    assert chosen <= set(empty_cells(board)) and len(chosen) > 2


def test_perfect_answers_a_corner_with_the_centre_and_takes_a_win_at_once() -> None:
    assert {computer.reply("X--------", "perfect", Random(s)) for s in range(20)} == {4}
    # O to move with a win on the left column; X also threatens: O wins now, not later.
    assert computer.reply("OXXO-X---", "perfect", Random(0)) == 6


def _human_never_wins(board: str, human: str, leaves: list[str]) -> None:
    """Walk every line of play from `board`: each human move, each best computer move."""
    if winning_mark(board) or EMPTY not in board:
        assert winning_mark(board) != human, board
        leaves.append(board)
        return
    moving = X if board.count(X) == board.count(O) else O
    cells = empty_cells(board) if moving == human else computer.best_cells(board)
    for cell in cells:
        _human_never_wins(place(board, cell).board, human, leaves)


@pytest.mark.parametrize("human", [X, O], ids=["human plays X", "computer plays X"])
def test_perfect_never_loses_whatever_the_human_plays(human: str) -> None:
    leaves: list[str] = []
    _human_never_wins(NEW_BOARD, human, leaves)
    assert len(leaves) > 100  # every line was walked, not just one
    # And reply() only ever picks among those best cells.
    for board in ("X--------", "-X-------", "X---O---X", NEW_BOARD):
        for seed in range(10):
            assert computer.reply(board, "perfect", Random(seed)) in computer.best_cells(board)


@pytest.mark.parametrize("level", computer.LEVELS)
def test_no_level_moves_on_a_finished_board(level: str) -> None:
    with pytest.raises(NotInProgress):
        computer.reply("XXXOO----", level, Random(0))
    with pytest.raises(NotInProgress):
        computer.reply("XOXXOOOXX", level, Random(0))


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="no such level"):
        computer.reply(NEW_BOARD, "impossible", Random(0))


def test_answer_places_the_players_mark_then_the_reply_unless_that_ended_the_game() -> None:
    placed, reply = computer.answer("XX-OO----", 5, "medium", Random(0))  # X plays 5
    assert placed.board == "XX-OOX---" and not placed.over and reply is not None
    assert (reply.board, reply.cell, reply.mark) == ("XXOOOX---", 2, O)  # O blocks the top row
    won, none = computer.answer("XX-OO----", 2, "perfect", Random(0))
    assert won.won and won.over and none is None


def test_landed_knows_the_move_with_or_without_the_reply() -> None:
    placed = place("X---O----", 8)  # X plays 8
    assert computer.landed(placed.board, placed)
    assert computer.landed(placed.board[:2] + O + placed.board[3:], placed)  # and O replied
    assert not computer.landed("X---O----", placed)  # the move is not there
    assert not computer.landed(placed.board[:2] + X + placed.board[3:], placed)


def test_a_new_game_is_in_progress_with_the_computers_opening_when_it_plays_x() -> None:
    mine = computer.new_game("g1", "ann", "easy", "t", None, "pic")
    assert (mine.status, mine.board, mine.turn, mine.x_player, mine.o_player) == (
        Status.IN_PROGRESS,
        NEW_BOARD,
        "ann",
        "ann",
        COMPUTER,
    )
    assert (mine.level, mine.opponent, mine.host_picture, mine.moves) == (
        "easy",
        COMPUTER,
        "pic",
        (),
    )
    theirs = computer.new_game("g2", "ann", "perfect", "t", 4)
    assert (theirs.board, theirs.moves, theirs.turn) == ("----X----", (4,), "ann")
    assert (theirs.x_player, theirs.o_player) == (COMPUTER, "ann")


def test_the_computers_seat_is_no_player() -> None:
    game = computer.new_game("g1", "ann", "easy", "t", None)
    assert game.players == ("ann",)
    assert game.mark_of("ann") == X
    with pytest.raises(NotAPlayer):
        game.mark_of(COMPUTER)  # not even an old account that is called "computer"


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("computer", True),
        ("Computer", True),
        ("C0mputer", True),
        ("COMPUTER", True),
        ("computers", False),
        ("my_computer", False),
        ("compute", False),
    ],
)
def test_the_computers_name_and_its_look_alikes_are_kept(name: str, kept: bool) -> None:
    assert is_kept(name) is kept
