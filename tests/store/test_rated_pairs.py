"""Ratings that can't be farmed: a pair's games move ratings at most 3 times in 24 hours.

Run on moto and on DynamoDB Local; the race of two games finishing at once on DynamoDB Local.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from random import Random

import pytest
from moto import mock_aws

from tests.conftest import make_settings, passthrough
from tests.store.test_results import X_WINS, accounts, play, results, started
from tictactoe.config import Settings
from tictactoe.rules import board
from tictactoe.rules.board import Game, Status
from tictactoe.rules.ratings import PAIR_WINDOW_SECONDS, RATED_PER_PAIR
from tictactoe.services import computer
from tictactoe.services.backend import Backend, build
from tictactoe.store import ensure_tables

ROUNDS = 3  # the race is run this many times, each with a new pair


@pytest.fixture
def store(settings: Settings) -> Backend:
    """The stores on moto and on DynamoDB Local, tables in place."""
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    return backend


def played(store: Backend, host: str, opponent: str) -> Game:
    """A whole game of the pair, the opponent winning; the game as its finishing write left it."""
    return play(store, started(store, host, opponent), X_WINS)


def test_the_fourth_game_of_a_pair_in_a_day_moves_no_rating(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    firsts = [played(store, host, opponent) for _ in range(RATED_PER_PAIR)]
    assert [g.rated for g in firsts] == [True] * RATED_PER_PAIR
    before = (results(store, host), results(store, opponent), store.ladder.top())

    fourth = played(store, host, opponent)

    assert (fourth.status, fourth.winner, fourth.rated) == (Status.FINISHED, opponent, False)
    assert store.games.get(fourth.id).rated is False  # what is stored, not only returned
    assert (results(store, host), results(store, opponent), store.ladder.top()) == before
    # Not the players' other pairs: each of them still plays rated games with someone else.
    (third,) = accounts(store, 1)
    assert played(store, third, host).rated is True
    assert results(store, host)[0:3] == (1, RATED_PER_PAIR, 0)


def test_resignations_and_claims_count_in_the_same_window(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    for _ in range(RATED_PER_PAIR - 1):
        played(store, host, opponent)
    resigned = store.games.resign(started(store, host, opponent), host)
    assert (resigned.winner, resigned.rated) == (opponent, True)
    before = results(store, host), results(store, opponent)
    resigned = store.games.resign(started(store, host, opponent), opponent)
    assert (resigned.winner, resigned.rated) == (host, False)
    assert (results(store, host), results(store, opponent)) == before


def test_a_day_after_the_oldest_rated_game_the_pair_is_rated_again(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    start = time.time()
    store.games.clock = lambda: start
    for _ in range(RATED_PER_PAIR):
        played(store, host, opponent)
    store.games.clock = lambda: start + PAIR_WINDOW_SECONDS - 60  # not quite a day yet
    assert played(store, host, opponent).rated is False
    wins = results(store, opponent)[0]

    store.games.clock = lambda: start + PAIR_WINDOW_SECONDS + 60
    again = played(store, host, opponent)
    assert again.rated is True
    assert results(store, opponent)[0] == wins + 1
    # The window rolls: that freed one slot, the other two games were just as old.
    assert [played(store, host, opponent).rated for _ in range(3)] == [True, True, False]


def test_a_game_against_the_computer_is_never_rated(store: Backend) -> None:
    (name,) = accounts(store, 1)
    game = computer.start(store.games, name, "easy", rng=Random(1))
    assert store.games.get(game.id).rated is None  # undecided in the store; the API says false
    finished = store.games.resign(game, name)
    assert (finished.status, finished.rated) == (Status.FINISHED, False)
    assert store.games.get(game.id).rated is False


def test_a_game_in_progress_is_not_yet_rated_or_unrated(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    game = started(store, host, opponent)
    assert store.games.get(game.id).rated is None


def test_a_game_finished_before_rated_was_stored_reads_as_rated(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    game = played(store, host, opponent)
    store.dynamodb.update_item(
        TableName=store.settings.games_table,
        Key={"GameId": {"S": game.id}},
        UpdateExpression="REMOVE Rated",
    )
    assert store.games.get(game.id).rated is True  # every such finish between people counted


@pytest.fixture
def local_store(dynamodb_local_url: str) -> Iterator[Backend]:
    """The stores on this worker's DynamoDB Local: real transactions, real conflicts."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        settings = make_settings(endpoint=dynamodb_local_url)
        backend = build(settings)
        ensure_tables(backend.dynamodb, settings)
        yield backend


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_games_finishing_at_once_cannot_both_be_the_last_rated(
    local_store: Backend, round_: int
) -> None:
    host, opponent = accounts(local_store, 2)
    for _ in range(RATED_PER_PAIR - 1):
        played(local_store, host, opponent)
    # Two games of the pair, each one move from X's (the opponent's) win.
    games = [play(local_store, started(local_store, host, opponent), X_WINS[:-1]) for _ in "ab"]
    wins = results(local_store, opponent)[0]
    start = threading.Barrier(len(games))
    ended: list[Game] = []

    def finish(game: Game) -> None:
        placed = board.place(game.board, X_WINS[-1])
        start.wait()
        ended.append(local_store.games.move(game.id, opponent, game.board, placed))

    threads = [threading.Thread(target=finish, args=(g,)) for g in games]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(g.rated for g in ended) == [False, True]  # both finished, one of them rated
    assert sorted(local_store.games.get(g.id).rated for g in games) == [False, True]
    assert results(local_store, opponent)[0] == wins + 1
