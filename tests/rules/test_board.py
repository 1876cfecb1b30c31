"""The rules, pure: no AWS, no Flask."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from tictactoe.rules import board as rules
from tictactoe.rules.board import EMPTY, LINES, NEW_BOARD, Game, Status


def make(
    board: str = NEW_BOARD, status: Status = Status.IN_PROGRESS, turn: str | None = "xena"
) -> Game:
    return Game(
        "g1",
        host="olga",
        opponent="xena",
        status=status,
        board=board,
        turn=turn,
        winner=None,
        created_at="t",
        updated_at="t",
        version=1,
    )


def board_of(marks: dict[int, str]) -> str:
    return "".join(marks.get(i, EMPTY) for i in range(9))


def test_invited_opponent_plays_x_and_host_plays_o() -> None:
    g = make()
    assert (g.x_player, g.o_player) == ("xena", "olga")
    assert g.mark_of("xena") == "X" and g.mark_of("olga") == "O"


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("mark", ["X", "O"])
def test_every_line_wins_for_either_mark(line: tuple[int, int, int], mark: str) -> None:
    other = "O" if mark == "X" else "X"
    # Two of the line already there, the other mark elsewhere, so the counts are legal.
    spare = [c for c in range(9) if c not in line]
    count = 2 if mark == "X" else 3
    board = next(
        b
        for cells in itertools.combinations(spare, count)
        if rules.winning_mark(
            b := board_of({line[0]: mark, line[1]: mark} | dict.fromkeys(cells, other))
        )
        is None
    )
    assert rules.mark_to_move(board) == mark
    placed = rules.place(board, line[2])
    assert placed.won and placed.over and placed.mark == mark
    assert rules.winning_mark(placed.board) == mark


def test_a_full_board_without_a_line_is_a_tie() -> None:
    board = "XOXXOOOX" + EMPTY  # X to move at the last cell; no line either way
    placed = rules.place(board, 8)
    assert placed.board == "XOXXOOOXX"
    assert placed.over and not placed.won
    assert rules.winning_mark(placed.board) is None


def test_winning_on_the_last_cell_is_a_win_not_a_tie() -> None:
    board = "XOOOXXOX" + EMPTY  # X completes the diagonal 0-4-8 on the last move
    placed = rules.place(board, 8)
    assert placed.won and placed.over


@pytest.mark.parametrize("cell", [-1, 9, 100, "4", 4.0, True, None, [4]])
def test_only_whole_numbers_0_to_8_are_cells(cell: object) -> None:
    with pytest.raises(rules.BadCell):
        rules.check_cell(cell)


def test_a_taken_cell_cannot_be_played() -> None:
    with pytest.raises(rules.CellTaken):
        rules.place(board_of({4: "X"}), 4)
    with pytest.raises(rules.CellTaken):
        rules.check_move(make(board_of({4: "X"}), turn="olga"), "olga", 4)


def test_moving_out_of_turn_is_refused() -> None:
    with pytest.raises(rules.NotYourTurn):
        rules.check_move(make(turn="xena"), "olga", 0)


def test_strangers_cannot_move() -> None:
    with pytest.raises(rules.NotAPlayer):
        rules.check_move(make(), "mallory", 0)


@pytest.mark.parametrize("status", [Status.PENDING, Status.FINISHED])
def test_only_games_in_progress_take_moves(status: Status) -> None:
    with pytest.raises(rules.NotInProgress):
        rules.check_move(make(status=status), "xena", 0)


def test_no_move_after_a_line_is_complete() -> None:
    with pytest.raises(rules.NotInProgress):
        rules.place("XXXOO" + EMPTY * 4, 8)


def test_marks_alternate_from_x() -> None:
    board = NEW_BOARD
    for expected, cell in zip(itertools.cycle("XO"), [4, 0, 8, 2], strict=False):
        placed = rules.place(board, cell)
        assert placed.mark == expected
        board = placed.board
    assert board == "O-O-X---X"


@pytest.mark.parametrize(
    ("board", "ok"),
    [
        (NEW_BOARD, True),
        ("X--------", True),
        ("XO-------", True),
        ("O--------", False),
        ("XX-------", False),
        ("XO", False),
        ("XOZ------", False),
        (None, False),
    ],
)
def test_is_board_accepts_only_boards_legal_play_can_make(board: object, ok: bool) -> None:
    assert rules.is_board(board) is ok


def test_the_waiting_player_may_claim_a_timeout_after_the_last_change() -> None:
    playing = replace(make(), updated_at="2026-01-01T10:00:00.000000Z")
    assert rules.claimable_at(playing, 3 * 24 * 3600) == "2026-01-04T10:00:00.000000Z"
    assert rules.claimable_at(replace(playing, status=Status.FINISHED), 60) is None


def test_a_rematch_can_give_x_to_the_host() -> None:
    g = replace(make(), x_is_host=True, turn="olga")
    assert (g.x_player, g.o_player) == ("olga", "xena")
    assert g.mark_of("olga") == "X" and g.other_player("olga") == "xena"
    assert replace(g, board="XXXOO----").line == (0, 1, 2)
    with pytest.raises(rules.NotAPlayer):
        g.mark_of("zed")
