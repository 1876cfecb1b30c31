"""Results counted exactly once, in the store, run twice: on moto and on DynamoDB Local."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import unique
from tictactoe.config import Settings
from tictactoe.rules import board, ratings
from tictactoe.rules.board import Game, Status
from tictactoe.services.backend import Backend, build
from tictactoe.store import Player, Rejected, ensure_tables
from tictactoe.store.ladder import LEADERBOARD_LENGTH, shard

X_WINS = (0, 3, 1, 4, 2)  # X (the invited opponent) takes the top row
TIE = (0, 1, 2, 4, 3, 5, 7, 6, 8)
DAY = 24 * 3600


@pytest.fixture
def store(settings: Settings) -> Backend:
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    return backend


def accounts(store: Backend, count: int) -> list[str]:
    names = [unique("r") for _ in range(count)]
    for name in names:
        store.users.create(name, "not a real hash", name.lower())
    return names


def started(store: Backend, host: str, opponent: str) -> Game:
    """A game in progress: the opponent plays X and moves first."""
    return store.games.accept(store.games.create(host, opponent).id, opponent)


def play(store: Backend, game: Game, cells: tuple[int, ...]) -> Game:
    for cell in cells:
        current = store.games.get(game.id)
        placed = board.place(current.board, cell)
        game = store.games.move(game.id, current.turn or "", current.board, placed)
    return game


def results(store: Backend, name: str) -> tuple[int, int, int, float]:
    found = store.ladder.player(name)
    assert found is not None
    return found.wins, found.losses, found.ties, found.rating


def users_item(store: Backend, name: str) -> dict[str, Any] | None:
    found = store.dynamodb.get_item(
        TableName=store.settings.users_table,
        Key={"UserKey": {"S": name.lower()}},
        ConsistentRead=True,
    )
    return found.get("Item")


def test_a_player_with_no_finished_game_has_no_results_yet(store: Backend) -> None:
    (name,) = accounts(store, 1)
    assert store.ladder.player(name.upper()) == Player(name, None, 0, 0, 0, 1200.0)
    assert store.ladder.player("nobody-here") is None
    assert store.ladder.top() == []  # not on the ladder until a game finishes


def test_the_winning_move_counts_the_result_once(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    game = play(store, started(store, host, opponent), X_WINS)
    assert (game.status, game.winner) == (Status.FINISHED, opponent)
    assert game == store.games.get(game.id, at_least=game.version)  # what the write left
    assert results(store, opponent) == (1, 0, 0, 1216.0)
    assert results(store, host) == (0, 1, 0, 1184.0)
    item = users_item(store, opponent)
    assert item is not None
    assert item["Ladder"]["S"] == shard(opponent.lower())
    assert int(item["Rank"]["N"]) == ratings.rank(1216.0, 1)

    # The same winning move again (a retried request) changes nothing and sees the result.
    before_last = board.place("XX-OO----", 2)
    with pytest.raises(Rejected) as refused:
        store.games.move(game.id, opponent, "XX-OO----", before_last)
    assert refused.value.current == game
    assert results(store, opponent) == (1, 0, 0, 1216.0)
    assert results(store, host) == (0, 1, 0, 1184.0)


def test_a_full_board_counts_a_tie_for_both(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    game = play(store, started(store, host, opponent), TIE)
    assert (game.status, game.winner) == (Status.FINISHED, None)
    assert results(store, host) == results(store, opponent) == (0, 0, 1, 1200.0)


def test_a_resignation_counts_for_both(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    game = play(store, started(store, host, opponent), (4,))
    finished = store.games.resign(game, host)
    assert (finished.status, finished.winner, finished.board) == (
        Status.FINISHED,
        opponent,
        game.board,
    )
    assert finished == store.games.get(game.id, at_least=finished.version)
    assert results(store, opponent) == (1, 0, 0, 1216.0)
    with pytest.raises(Rejected):  # resigning again: the game is no longer as read
        store.games.resign(game, host)
    assert results(store, host) == (0, 1, 0, 1184.0)


def test_a_claim_lands_only_after_the_timeout(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    game = play(store, started(store, host, opponent), (4,))  # now the host (O) is to move
    with pytest.raises(Rejected) as early:
        store.games.claim(game, opponent)
    assert early.value.current == game  # refused and unchanged
    store.games.clock = lambda: time.time() + 3 * DAY + 60
    won = store.games.claim(game, opponent)
    assert (won.status, won.winner) == (Status.FINISHED, opponent)
    assert results(store, opponent) == (1, 0, 0, 1216.0)
    assert results(store, host) == (0, 1, 0, 1184.0)


def test_a_deleted_accounts_result_counts_for_the_other_alone(store: Backend) -> None:
    host, opponent = accounts(store, 2)
    game = play(store, started(store, host, opponent), (4,))
    user = store.users.get(host)
    assert user is not None
    store.users.delete(user)
    store.games.resign(game, host)
    assert users_item(store, host) is None  # not brought back by the count
    assert results(store, opponent) == (1, 0, 0, 1216.0)


def test_a_rating_that_changed_meanwhile_is_read_again(store: Backend) -> None:
    """Another game of the same player finishes between the ratings read and the write."""
    me, first, second = accounts(store, 3)
    one, other = started(store, first, me), started(store, second, me)
    interleaved: list[str] = []

    def finish_the_other_game(**_: Any) -> None:
        if not interleaved:
            interleaved.append("once")  # before the call: it reads ratings too
            store.games.resign(other, second)  # I win that one first

    events = store.dynamodb.meta.events
    events.register("after-call.dynamodb.BatchGetItem", finish_the_other_game)
    try:
        store.games.resign(one, first)  # its transaction now meets my changed rating
    finally:
        events.unregister("after-call.dynamodb.BatchGetItem", finish_the_other_game)
    assert interleaved
    mine, _ = ratings.after_game(1200, 1200, ratings.WIN)
    mine, theirs = ratings.after_game(mine, 1200, ratings.WIN)
    assert results(store, me) == (2, 0, 0, pytest.approx(mine))
    assert results(store, first) == (0, 1, 0, pytest.approx(theirs))
    assert results(store, second) == (0, 1, 0, 1184.0)


def test_the_leaderboard_is_the_top_twenty_by_rating_then_wins(store: Backend) -> None:
    names = accounts(store, 24)
    for a, b in zip(names[0::2], names[1::2], strict=True):  # 12 games: the opponent wins
        store.games.resign(started(store, a, b), a)
    winners = names[1::2]
    for i, (a, b) in enumerate(zip(winners[0::2], winners[1::2], strict=True)):
        game = started(store, a, b)  # 6 more: some wins, some ties
        if i % 2:
            play(store, game, TIE)
        else:
            store.games.resign(game, a)
    (idle,) = accounts(store, 1)  # never finished a game: not ranked
    everyone = [store.ladder.player(n) for n in names]
    expected = sorted(everyone, key=lambda p: (-ratings.rank(p.rating, p.wins), p.name.lower()))
    top = store.ladder.top()
    assert len(top) == LEADERBOARD_LENGTH
    assert top == expected[:LEADERBOARD_LENGTH]
    assert idle not in {p.name for p in top}
    assert len({shard(n.lower()) for n in names}) > 1  # the players really span shards
