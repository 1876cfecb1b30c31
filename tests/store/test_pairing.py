"""Play now in the store (tictactoe/store/pairing.py), run twice: on moto and on DynamoDB Local."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import unique
from tictactoe.config import Settings
from tictactoe.rules import board, ratings
from tictactoe.rules.board import Status
from tictactoe.services.backend import Backend, build
from tictactoe.store import (
    MAX_SENT,
    Looking,
    NotFound,
    Paired,
    Rejected,
    TooManyInvitations,
    ensure_tables,
)
from tictactoe.store.pairing import POINTER, SLOT

X_WINS = (0, 3, 1, 4, 2)  # X takes the top row


@pytest.fixture
def store(settings: Settings) -> Backend:
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    return backend


def names(store: Backend, count: int) -> list[str]:
    """New players with accounts (results are counted only for players who have one)."""
    made = [unique("q") for _ in range(count)]
    for name in made:
        store.users.create(name, "not a real hash", name.lower())
    return made


def item(store: Backend, key: str) -> dict[str, Any] | None:
    found = store.dynamodb.get_item(
        TableName=store.settings.games_table, Key={"GameId": {"S": key}}, ConsistentRead=True
    )
    return found.get("Item")


def slot(store: Backend) -> dict[str, Any] | None:
    return item(store, SLOT)


def pointer(store: Backend, name: str) -> dict[str, Any] | None:
    return item(store, POINTER + name.lower())


def ticket_of(store: Backend, name: str) -> str:
    found = pointer(store, name)
    assert found is not None
    return str(found["Ticket"]["S"])


def paired(store: Backend, waiter: str, other: str) -> Any:
    """`waiter` waits, then `other` presses: return the game they are in."""
    assert isinstance(store.pairing.play(waiter), Looking)
    outcome = store.pairing.play(other)
    assert isinstance(outcome, Paired)
    return outcome.game


def play(store: Backend, game_id: str, cells: tuple[int, ...]) -> Any:
    for cell in cells:
        current = store.games.get(game_id)
        placed = board.place(current.board, cell)
        store.games.move(game_id, current.turn or "", current.board, placed)
    return store.games.get(game_id)


def test_a_press_with_no_one_waiting_waits_and_pressing_again_changes_nothing(
    store: Backend,
) -> None:
    (walt,) = names(store, 1)
    store.pairing.clock = lambda: 1_000_000.0
    assert store.pairing.state(walt) is None
    assert store.pairing.play(walt, "a" * 64) == Looking(1_000_060)
    before = (slot(store), pointer(store, walt))
    assert before[0] is not None and before[0]["Waiter"]["S"] == walt
    assert store.pairing.play(walt.upper()) == Looking(1_000_060)  # another tab, any case
    assert (slot(store), pointer(store, walt)) == before
    assert store.pairing.state(walt) == Looking(1_000_060)


def test_the_next_press_pairs_and_the_player_who_waited_plays_x_first(store: Backend) -> None:
    walt, pete = names(store, 2)
    assert isinstance(store.pairing.play(walt, "a" * 64), Looking)
    ticket = ticket_of(store, walt)
    outcome = store.pairing.play(pete, "b" * 64)
    assert isinstance(outcome, Paired)
    game = outcome.game
    assert (game.id, game.status, game.version) == (ticket, Status.IN_PROGRESS, 1)
    assert (game.host, game.opponent, game.x_player, game.o_player) == (walt, pete, walt, pete)
    assert (game.turn, game.board, game.host_picture, game.opponent_picture) == (
        walt,
        board.NEW_BOARD,
        "a" * 64,
        "b" * 64,
    )
    assert store.games.get(game.id) == game
    assert slot(store) is None  # nobody waits now
    assert store.pairing.state(walt) == Paired(game)  # the waiter learns of it
    for name in (walt, pete):  # one index entry each
        assert [g.id for g in store.games.lists(name).in_progress] == [game.id]


def test_a_paired_game_is_rated_ends_the_pairing_and_allows_a_rematch(store: Backend) -> None:
    walt, pete = names(store, 2)
    game = paired(store, walt, pete)
    with pytest.raises(board.NotYourTurn):
        board.check_move(game, pete, 4)  # the waiter moves first
    final = play(store, game.id, X_WINS)
    assert (final.status, final.winner) == (Status.FINISHED, walt)
    won, lost = store.ladder.player(walt), store.ladder.player(pete)
    assert won is not None and lost is not None
    assert (won.wins, won.losses, lost.wins, lost.losses) == (1, 0, 0, 1)
    assert won.rating > ratings.START > lost.rating
    assert store.pairing.state(walt) is None  # paired only until the game finishes
    rematch, created = store.games.rematch(game.id, pete, None)
    assert created and (rematch.host, rematch.opponent, rematch.x_player) == (pete, walt, pete)


def test_stopping_when_idle_writes_nothing_and_is_idempotent(store: Backend) -> None:
    (walt,) = names(store, 1)
    store.pairing.stop(walt)
    store.pairing.stop(walt)
    assert (slot(store), pointer(store, walt), store.pairing.state(walt)) == (None, None, None)


def test_a_cancelled_wait_is_never_paired_even_from_a_stale_slot(store: Backend) -> None:
    walt, pete = names(store, 2)
    store.pairing.play(walt)
    ticket, stale = ticket_of(store, walt), slot(store)
    store.pairing.stop(walt)
    assert (slot(store), pointer(store, walt), store.pairing.state(walt)) == (None, None, None)
    # A pairer that still sees the cancelled wait (its read came just before the cancel):
    store.dynamodb.put_item(TableName=store.settings.games_table, Item=stale)
    assert isinstance(store.pairing.play(pete), Looking)  # not paired: pete waits instead
    assert slot(store)["Waiter"]["S"] == pete  # type: ignore[index]
    with pytest.raises(NotFound):
        store.games.get(ticket)  # the tombstone is no game
    store.pairing.stop(walt)  # again: still nothing, and pete still waits
    assert store.pairing.state(walt) is None and isinstance(store.pairing.state(pete), Looking)


def test_stopping_after_being_paired_keeps_the_game(store: Backend) -> None:
    walt, pete = names(store, 2)
    game = paired(store, walt, pete)
    store.pairing.stop(walt)
    assert store.games.get(game.id).status is Status.IN_PROGRESS
    assert store.pairing.state(walt) == Paired(game)


def test_an_expired_wait_is_never_paired(store: Backend) -> None:
    walt, pete = names(store, 2)
    store.pairing.clock = lambda: 1_000_000.0
    store.pairing.play(walt)
    ticket = ticket_of(store, walt)
    store.pairing.clock = lambda: 1_000_060.0  # the wait's last second is over
    assert store.pairing.state(walt) is None
    assert store.pairing.play(pete) == Looking(1_000_120)
    with pytest.raises(NotFound):
        store.games.get(ticket)
    assert slot(store)["Waiter"]["S"] == pete  # type: ignore[index]


def test_a_player_is_never_paired_with_themselves(store: Backend) -> None:
    (walt,) = names(store, 1)
    store.pairing.clock = lambda: 1_000_000.0
    store.pairing.play(walt)
    assert store.pairing.play(walt.lower()) == Looking(1_000_060)
    first = ticket_of(store, walt)
    store.pairing.clock = lambda: 1_000_100.0  # their own wait lapsed: a new one, no game
    assert store.pairing.play(walt) == Looking(1_000_160)
    assert ticket_of(store, walt) != first
    assert store.games.lists(walt).in_progress == []


def test_a_tab_that_lost_the_race_for_the_slot_points_back_at_the_wait(store: Backend) -> None:
    walt, pete = names(store, 2)
    store.pairing.play(walt)
    ticket = ticket_of(store, walt)
    # A second tab wrote its pointer, then lost the slot to the first tab's wait:
    lost = pointer(store, walt) | {"Ticket": {"S": "lost-the-race-0"}}  # type: ignore[operator]
    store.dynamodb.put_item(TableName=store.settings.games_table, Item=lost)
    assert isinstance(store.pairing.state(walt), Looking)  # the slot holds walt's wait
    assert isinstance(store.pairing.play(walt), Looking)  # that tab's retry points back at it
    assert ticket_of(store, walt) == ticket
    outcome = store.pairing.play(pete)
    assert outcome == Paired(store.games.get(ticket)) and outcome.game.host == walt
    assert store.pairing.state(walt) == outcome  # found through the pointer


def test_a_player_with_no_room_is_refused_and_nothing_is_written(store: Backend) -> None:
    walt, pete = names(store, 2)
    for n in range(MAX_SENT):
        store.games.create(pete, f"someone{n}")
    with pytest.raises(TooManyInvitations):
        store.pairing.play(pete)
    assert (slot(store), pointer(store, pete)) == (None, None)
    store.pairing.play(walt)
    before = slot(store)
    with pytest.raises(TooManyInvitations):  # nor may they take a waiting player's game
        store.pairing.play(pete)
    assert slot(store) == before and pointer(store, pete) is None
    assert isinstance(store.pairing.state(walt), Looking)


def test_a_tombstone_is_no_game_to_any_reader(store: Backend) -> None:
    (walt,) = names(store, 1)
    store.pairing.play(walt)
    ticket = ticket_of(store, walt)
    store.pairing.stop(walt)
    assert item(store, ticket) is not None  # the tombstone
    with pytest.raises(NotFound):
        store.games.get(ticket)
    with pytest.raises(Rejected) as refused:
        store.games.accept(ticket, walt)
    assert refused.value.current is None
    with pytest.raises(Rejected) as moved:
        store.games.move(ticket, walt, board.NEW_BOARD, board.place(board.NEW_BOARD, 4))
    assert moved.value.current is None
