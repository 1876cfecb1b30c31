"""The DynamoDB layer, run twice: on moto and on the real DynamoDB Local."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tictactoe import game as rules
from tictactoe.backend import Backend, build
from tictactoe.config import Settings
from tictactoe.game import Status
from tictactoe.store import NotFound, Rejected, Taken, ensure_tables
from tictactoe.store.games import LIST_LENGTH
from tictactoe.store.schema import HOST_INDEX, OPPONENT_INDEX


@pytest.fixture
def store(settings: Settings) -> Backend:
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    return backend


def play(store: Backend, game_id: str, player: str, cell: int) -> Any:
    current = store.games.get(game_id)
    rules.check_move(current, player, cell)
    return store.games.move(game_id, player, current.board, rules.place(current.board, cell))


def test_tables_are_created_once_with_the_designed_indexes(
    store: Backend, settings: Settings
) -> None:
    assert ensure_tables(store.dynamodb, settings) == []  # a second start creates nothing
    games = store.dynamodb.describe_table(TableName=settings.games_table)["Table"]
    indexes = {i["IndexName"]: i for i in games["GlobalSecondaryIndexes"]}
    assert set(indexes) == {HOST_INDEX, OPPONENT_INDEX}
    host = indexes[HOST_INDEX]
    assert [k["AttributeName"] for k in host["KeySchema"]] == ["HostId", "StatusDate"]
    assert host["Projection"]["ProjectionType"] == "INCLUDE"
    # Nothing a move changes is projected, so moves never write to the indexes.
    assert not {"Board", "Turn", "Status", "Version", "UpdatedAt"} & set(
        host["Projection"]["NonKeyAttributes"]
    )
    for name in (settings.users_table, settings.avatars_table):
        table = store.dynamodb.describe_table(TableName=name)["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_processes_racing_to_create_tables_all_succeed(settings: Settings) -> None:
    backends = [build(settings) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(lambda b: ensure_tables(b.dynamodb, settings), backends))
    made = sorted(name for names in created for name in names)
    assert made == sorted([settings.games_table, settings.users_table, settings.avatars_table])


def test_names_are_unique_ignoring_case(store: Backend) -> None:
    store.users.create("Alice", "hash", "allce")
    with pytest.raises(Taken):
        store.users.create("aLICE", "other", "other-skeleton")
    found = store.users.get("ALICE")
    assert found is not None and (found.name, found.password_hash) == ("Alice", "hash")
    assert store.users.get("bob") is None


def test_an_invitation_is_accepted_only_by_the_invited_player(store: Backend) -> None:
    game = store.games.create("olga", "xena")
    assert store.games.get(game.id).status is Status.PENDING
    with pytest.raises(Rejected) as refused:
        store.games.accept(game.id, "olga")
    assert refused.value.current is not None and refused.value.current.status is Status.PENDING
    started = store.games.accept(game.id, "xena")
    assert (started.status, started.turn, started.version) == (Status.IN_PROGRESS, "xena", 2)
    with pytest.raises(Rejected):
        store.games.accept(game.id, "xena")  # not pending any more


def test_rejecting_deletes_the_invitation(store: Backend) -> None:
    game = store.games.create("olga", "xena")
    with pytest.raises(Rejected):
        store.games.reject(game.id, "mallory")
    store.games.reject(game.id, "xena")
    with pytest.raises(NotFound):
        store.games.get(game.id)
    with pytest.raises(Rejected) as gone:
        store.games.reject(game.id, "xena")
    assert gone.value.current is None


def test_a_move_from_a_stale_board_is_refused_and_returns_the_current_game(store: Backend) -> None:
    game = store.games.create("olga", "xena")
    store.games.accept(game.id, "xena")
    play(store, game.id, "xena", 4)
    stale = rules.place(rules.NEW_BOARD, 0)
    with pytest.raises(Rejected) as refused:
        store.games.move(game.id, "xena", rules.NEW_BOARD, stale)
    assert refused.value.current is not None and refused.value.current.board == "----X----"


def test_the_winning_move_records_the_result_in_the_same_write(store: Backend) -> None:
    game = store.games.create("olga", "xena")
    store.games.accept(game.id, "xena")
    for player, cell in [("xena", 0), ("olga", 3), ("xena", 1), ("olga", 4)]:
        after = play(store, game.id, player, cell)
        assert after.turn == ("olga" if player == "xena" else "xena")
    won = play(store, game.id, "xena", 2)
    assert (won.status, won.winner, won.turn, won.board) == (
        Status.FINISHED,
        "xena",
        None,
        "XXXOO----",
    )
    assert store.games.get(game.id) == won


def test_home_lists_sort_games_into_invites_sent_playing_and_finished(store: Backend) -> None:
    invite = store.games.create("olga", "me")
    sent = store.games.create("me", "pat")
    playing = store.games.create("quinn", "me")
    store.games.accept(playing.id, "me")
    finished = store.games.create("me", "ron")
    store.games.accept(finished.id, "ron")
    for player, cell in [("ron", 0), ("me", 3), ("ron", 1), ("me", 4), ("ron", 2)]:
        play(store, finished.id, player, cell)

    lists = store.games.lists("me")
    assert [g.id for g in lists.invites] == [invite.id]
    assert [g.id for g in lists.sent] == [sent.id]
    assert [(g.id, g.turn) for g in lists.in_progress] == [(playing.id, "me")]
    assert [(g.id, g.winner, g.board) for g in lists.finished] == [
        (finished.id, "ron", "XXXOO----")
    ]
    assert store.games.lists("ron").finished[0].opponent == "ron"


def test_each_list_holds_the_ten_newest_first(store: Backend) -> None:
    made = [store.games.create(f"host{i}", "me") for i in range(LIST_LENGTH + 2)]
    ended = []
    for i in range(LIST_LENGTH + 2):
        game = store.games.create("me", f"rival{i}")
        store.games.accept(game.id, f"rival{i}")
        for player, cell in [(f"rival{i}", 0), ("me", 3), (f"rival{i}", 1), ("me", 4), ("me", 5)][
            :4
        ]:
            play(store, game.id, player, cell)
        ended.append(play(store, game.id, f"rival{i}", 2))
    lists = store.games.lists("me")
    assert [g.id for g in lists.invites] == [g.id for g in reversed(made)][:LIST_LENGTH]
    assert [g.id for g in lists.finished] == [g.id for g in reversed(ended)][:LIST_LENGTH]
