"""Tic-Tac-Toe rules: pure functions and frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

EMPTY = "-"
X, O = "X", "O"
CELLS = range(9)
# The board's shape is the point of this table (rows, columns, diagonals): kept as drawn.
# fmt: off
LINES = (
    (0, 1, 2), (3, 4, 5), (6, 7, 8),  # rows
    (0, 3, 6), (1, 4, 7), (2, 5, 8),  # columns
    (0, 4, 8), (2, 4, 6),  # diagonals
)
# fmt: on
NEW_BOARD = EMPTY * 9
# The computer's seat in a game against it (host, opponent, turn, winner). No one can sign up
# as it or as a look-alike of it (rules/names.py).
COMPUTER = "computer"


class Status(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    FINISHED = "FINISHED"


class RuleError(Exception):
    """A move or action the rules do not allow."""


class BadCell(RuleError):
    """The cell is not a square of the board."""


class NotYourTurn(RuleError):
    """Someone moved out of turn."""


class CellTaken(RuleError):
    """The cell already holds a mark."""


class NotInProgress(RuleError):
    """The game is not being played (still an invitation, or over)."""


class NotAPlayer(RuleError):
    """The player is not one of the game's two players."""


@dataclass(frozen=True)
class Game:
    """One game between a host and the opponent they invited (or who took their challenge).

    X moves first. The opponent plays X unless `x_is_host` (a rematch gives X to the previous
    game's O player, whoever asked for it). `board` is nine characters, row-major, each X, O or
    EMPTY. `winner` is None for a tie or an open game. `opponent` is None while the game is an
    open challenge that anyone may take. In a game against the computer, `level` is its
    level and `opponent` is COMPUTER, which plays its own moves (no one may play them).
    """

    id: str
    host: str
    opponent: str | None
    status: Status
    board: str
    turn: str | None
    winner: str | None
    created_at: str
    updated_at: str
    version: int
    # Content hashes of the players' pictures when the game was created (display only).
    host_picture: str | None = None
    opponent_picture: str | None = None
    # When an unanswered invitation lapses (epoch seconds); None once accepted.
    expires_at: int | None = None
    x_is_host: bool = False  # the host plays X (a rematch where the host played O)
    moves: tuple[int, ...] = ()  # the cells in the order they were played
    rematch: str | None = None  # the id of this finished game's rematch, once asked for
    challenge: bool = False  # created as an open challenge: anyone but the host could take it
    level: str | None = None  # the computer's level, in a game against it
    # Whether the finish moved ratings (None: not finished, or not known where it was read).
    rated: bool | None = None

    @classmethod
    def invitation(
        cls,
        game_id: str,
        host: str,
        opponent: str | None,
        created_at: str,
        pictures: tuple[str | None, str | None] = (None, None),
        expires_at: int | None = None,
        x_is_host: bool = False,
    ) -> Game:
        """Return a new, unanswered invitation from `host` to `opponent`."""
        return cls(
            game_id,
            host,
            opponent,
            Status.PENDING,
            NEW_BOARD,
            None,
            None,
            created_at,
            created_at,
            1,
            pictures[0],
            pictures[1],
            expires_at,
            x_is_host,
        )

    @property
    def x_player(self) -> str | None:
        return self.host if self.x_is_host else self.opponent

    @property
    def o_player(self) -> str | None:
        return self.opponent if self.x_is_host else self.host

    @property
    def players(self) -> tuple[str, ...]:
        """The people playing: the host and the opponent, not an open seat or the computer."""
        seats = (self.host, self.opponent)
        return tuple(p for p in seats if p and not (self.level and p == COMPUTER))

    @property
    def line(self) -> tuple[int, int, int] | None:
        """The three cells of the winning line, if the game was won on the board."""
        return winning_line(self.board)

    def other_player(self, player: str) -> str | None:
        """Return the player facing `player`, or raise NotAPlayer."""
        self.mark_of(player)
        return self.opponent if player == self.host else self.host

    def mark_of(self, player: str) -> str:
        """Return the mark `player` plays, or raise NotAPlayer."""
        if self.level is not None and player == COMPUTER:
            raise NotAPlayer("the computer plays its own moves")
        if player is not None and player == self.x_player:
            return X
        if player is not None and player == self.o_player:
            return O
        raise NotAPlayer(f"{player} is not playing this game")


@dataclass(frozen=True)
class Seen:
    """The state of a game as a player last saw it: the board, and the computer's level if any."""

    board: str
    level: str | None = None


@dataclass(frozen=True)
class Placed:
    """A mark placed on a board, and what it decided."""

    board: str
    mark: str
    won: bool  # the mark completed a line
    over: bool  # won, or the board is full
    cell: int = -1  # where the mark went


def check_cell(cell: object) -> int:
    """Return `cell` as a board index 0..8, or raise BadCell."""
    if isinstance(cell, bool) or not isinstance(cell, int) or cell not in CELLS:
        raise BadCell("cell must be a whole number from 0 to 8 (row by row, 0 is top-left)")
    return cell


def mark_to_move(board: str) -> str:
    """Return the mark that moves next on `board`: X moves first."""
    return X if board.count(X) == board.count(O) else O


def winning_line(board: str) -> tuple[int, int, int] | None:
    """Return the first full line of one mark on `board`, if any."""
    for a, b, c in LINES:
        if board[a] != EMPTY and board[a] == board[b] == board[c]:
            return (a, b, c)
    return None


def winning_mark(board: str) -> str | None:
    """Return the mark that owns a full line, if any."""
    line = winning_line(board)
    return board[line[0]] if line else None


def is_board(board: object) -> bool:
    """Return True when `board` is nine cells that legal play could produce."""
    if not isinstance(board, str) or len(board) != 9 or set(board) - {X, O, EMPTY}:
        return False
    return board.count(X) - board.count(O) in (0, 1)


def place(board: str, cell: int) -> Placed:
    """Put the mark whose turn it is on `cell` of `board`."""
    if winning_mark(board) or EMPTY not in board:
        raise NotInProgress("this game is over")
    if board[cell] != EMPTY:
        raise CellTaken("that cell is already taken")
    mark = mark_to_move(board)
    after = board[:cell] + mark + board[cell + 1 :]
    won = winning_mark(after) == mark
    return Placed(after, mark, won=won, over=won or EMPTY not in after, cell=cell)


def claimable_at(
    game: Game, timeout_seconds: int, left_at: str | None = None, away_seconds: int = 0
) -> str | None:
    """Return when the player waiting in `game` may claim the win, or None if not in progress.

    The earlier of two clocks. The turn timeout starts at the game's last change (the accept,
    or the latest move). The absence clock starts when the player to move left the game
    (`left_at`; None while they are here, or unknown) or, if they left before it was their
    turn, at that last change, and runs `away_seconds`. Times are the store's ISO 8601 UTC
    text, so the result compares with them as text.
    """
    if game.status is not Status.IN_PROGRESS:
        return None
    moment = _after(game.updated_at, timeout_seconds)
    if left_at is not None:
        moment = min(moment, _after(max(left_at, game.updated_at), away_seconds))
    return moment


def _after(when: str, seconds: int) -> str:
    """Return the store time text `seconds` after `when`."""
    since = datetime.fromisoformat(when.replace("Z", "+00:00"))
    moment = since + timedelta(seconds=seconds)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def check_in_progress(game: Game) -> None:
    """Raise NotInProgress unless `game` is being played (not an invitation, not over)."""
    if game.status is not Status.IN_PROGRESS:
        raise NotInProgress(
            "this game is over" if game.status is Status.FINISHED else "this game has not started"
        )


def check_move(game: Game, player: str, cell: int) -> None:
    """Raise the rule error that forbids `player` playing `cell` in `game`, if any."""
    game.mark_of(player)
    check_in_progress(game)
    if game.turn != player:
        raise NotYourTurn("it is not your turn")
    if game.board[cell] != EMPTY:
        raise CellTaken("that cell is already taken")
