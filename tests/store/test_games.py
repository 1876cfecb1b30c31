"""The DynamoDB layer, run twice: on moto and on the real DynamoDB Local."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto import mock_aws

from tests.conftest import make_settings, passthrough
from tictactoe.config import Settings
from tictactoe.rules import board
from tictactoe.rules.board import Status
from tictactoe.services.backend import Backend, build
from tictactoe.store import (
    MAX_SENT,
    NotFound,
    OpenInvitation,
    Rejected,
    Taken,
    TooManyInvitations,
    ensure_tables,
)
from tictactoe.store.games import LIST_LENGTH
from tictactoe.store.invitations import CREATING_SECONDS
from tictactoe.store.schema import HOST_INDEX, LIVE_INDEX, OPPONENT_INDEX, TTL_ATTRIBUTE


@pytest.fixture
def store(settings: Settings) -> Backend:
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    return backend


def play(store: Backend, game_id: str, player: str, cell: int) -> Any:
    current = store.games.get(game_id)
    board.check_move(current, player, cell)
    return store.games.move(game_id, player, current.board, board.place(current.board, cell))


def test_tables_are_created_once_with_the_designed_indexes(
    store: Backend, settings: Settings
) -> None:
    assert ensure_tables(store.dynamodb, settings) == []  # a second start creates nothing
    games = store.dynamodb.describe_table(TableName=settings.games_table)["Table"]
    indexes = {i["IndexName"]: i for i in games["GlobalSecondaryIndexes"]}
    assert set(indexes) == {HOST_INDEX, OPPONENT_INDEX, LIVE_INDEX}
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


def test_processes_racing_to_create_tables_all_succeed(dynamodb_local_url: str) -> None:
    # On DynamoDB Local only: moto's CreateTable is not safe under threads (two threads can
    # both create one table), which is moto's race, not the app's.
    with mock_aws(config=passthrough(dynamodb_local_url)):
        settings = make_settings(endpoint=dynamodb_local_url)
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
    stale = board.place(board.NEW_BOARD, 0)
    with pytest.raises(Rejected) as refused:
        store.games.move(game.id, "xena", board.NEW_BOARD, stale)
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


def open_invitations(store: Backend, settings: Settings, player: str) -> list[str]:
    """Return the ids of the games `player` hosts or was invited to that are still pending."""
    ids = []
    for index, key in ((HOST_INDEX, "HostId"), (OPPONENT_INDEX, "OpponentId")):
        found = store.dynamodb.query(
            TableName=settings.games_table,
            IndexName=index,
            KeyConditionExpression=f"{key} = :p",
            ExpressionAttributeValues={":p": {"S": player}},
        )
        ids += [e["GameId"]["S"] for e in found["Items"]]
    return [i for i in ids if store.games.get(i).status is Status.PENDING]


def test_a_pair_has_at_most_one_open_invitation_either_way_round(
    store: Backend, settings: Settings
) -> None:
    first = store.games.create("olga", "xena")
    for host, opponent in [("olga", "xena"), ("xena", "olga")]:
        with pytest.raises(OpenInvitation) as refused:
            store.games.create(host, opponent)
        assert refused.value.game_id == first.id
    assert open_invitations(store, settings, "olga") == [first.id]
    # The pair's lock is no game: the indexes list the invitation alone.
    assert open_invitations(store, settings, "xena") == [first.id]


@pytest.mark.parametrize("answer", ["accept", "reject", "cancel", "expire"])
def test_once_answered_withdrawn_or_expired_the_pair_may_invite_again(
    store: Backend, answer: str
) -> None:
    first = store.games.create("olga", "xena")
    if answer == "accept":
        store.games.accept(first.id, "xena")
    elif answer == "reject":
        store.games.reject(first.id, "xena")
    elif answer == "cancel":
        store.games.cancel(first.id, "olga")
    else:
        wind_on(store, store.games.expiry_seconds)
    second = store.games.create("xena", "olga")  # either of them, this time the other
    assert store.games.get(second.id).status is Status.PENDING
    with pytest.raises(OpenInvitation) as refused:
        store.games.create("olga", "xena")
    assert refused.value.game_id == second.id


def test_a_lock_left_by_a_request_that_died_before_writing_its_game_goes_stale(
    store: Backend,
) -> None:
    started = store.games.clock()
    store.games._invitations.take("olga", "xena", "neverwritten", 2**31, started)
    with pytest.raises(OpenInvitation):  # it may still be writing its game
        store.games.create("olga", "xena")
    wind_on(store, CREATING_SECONDS)
    assert store.games.create("olga", "xena").status is Status.PENDING


def test_a_host_has_at_most_twenty_live_invitations_out(store: Backend) -> None:
    sent = [store.games.create("olga", f"rival{i}") for i in range(MAX_SENT)]
    with pytest.raises(TooManyInvitations):
        store.games.create("olga", "one_more")
    store.games.create("one_more", "olga")  # invitations received do not count
    store.games.cancel(sent[0].id, "olga")
    store.games.create("olga", "another")
    wind_on(store, store.games.expiry_seconds)  # all of them lapse
    assert store.games.create("olga", "yet_another").status is Status.PENDING


def test_only_the_host_withdraws_and_only_while_unanswered(store: Backend) -> None:
    game = store.games.create("olga", "xena")
    for someone in ("xena", "mallory"):
        with pytest.raises(Rejected) as refused:
            store.games.cancel(game.id, someone)
        assert refused.value.current is not None and refused.value.current.host == "olga"
    store.games.accept(game.id, "xena")
    with pytest.raises(Rejected) as answered:
        store.games.cancel(game.id, "olga")
    assert answered.value.current is not None
    assert answered.value.current.status is Status.IN_PROGRESS
    withdrawn = store.games.create("olga", "xena")
    store.games.cancel(withdrawn.id, "olga")
    with pytest.raises(NotFound):
        store.games.get(withdrawn.id)


def test_an_invitation_expires_unanswered_and_the_accept_removes_its_expiry(
    store: Backend, settings: Settings
) -> None:
    kept, lapsed = store.games.create("olga", "xena"), store.games.create("olga", "pat")
    stored = store.dynamodb.get_item(TableName=settings.games_table, Key={"GameId": {"S": kept.id}})
    expires_at = int(stored["Item"][TTL_ATTRIBUTE]["N"])
    assert expires_at - store.games.clock() == pytest.approx(store.games.expiry_seconds, abs=2)
    started = store.games.accept(kept.id, "xena")
    assert started.expires_at is None and not store.games.expired(started)
    stored = store.dynamodb.get_item(TableName=settings.games_table, Key={"GameId": {"S": kept.id}})
    assert TTL_ATTRIBUTE not in stored["Item"]  # TTL must never delete a game being played

    wind_on(store, store.games.expiry_seconds)
    assert store.games.expired(store.games.get(lapsed.id))
    assert store.games.lists("pat").invites == store.games.lists("olga").sent == []
    assert [g.id for g in store.games.lists("olga").in_progress] == [kept.id]
    with pytest.raises(Rejected) as refused:
        store.games.accept(lapsed.id, "pat")
    assert refused.value.current is not None and store.games.expired(refused.value.current)


def test_no_number_of_invitations_pushes_a_game_in_progress_off_the_lists(store: Backend) -> None:
    playing = store.games.create("me", "friend")
    store.games.accept(playing.id, "friend")
    over = store.games.create("friend", "me")
    store.games.accept(over.id, "me")
    for player, cell in [("me", 0), ("friend", 3), ("me", 1), ("friend", 4), ("me", 2)]:
        play(store, over.id, player, cell)
    spam = [store.games.create(f"spam{i}", "me") for i in range(45)]
    spam += [store.games.create(f"spam{i}", "friend") for i in range(45)]

    for player in ("me", "friend"):
        lists = store.games.lists(player)
        assert [g.id for g in lists.in_progress] == [playing.id]
        assert [g.id for g in lists.finished] == [over.id]
        assert len(lists.invites) == LIST_LENGTH
        assert {g.id for g in lists.invites} <= {g.id for g in spam}
    wind_on(store, store.games.expiry_seconds)  # the spam expires; TTL removes it later
    lists = store.games.lists("me")
    assert (lists.invites, [g.id for g in lists.in_progress]) == ([], [playing.id])


def wind_on(store: Backend, seconds: float) -> None:
    """Move the store's clock `seconds` on (and a little more), as if that time had passed."""
    start = store.games.clock()
    store.games.clock = lambda: start + seconds + 1


def test_a_game_records_its_moves_and_who_plays_x(store: Backend) -> None:
    store.users.create("olga", "h", "olga")
    store.users.create("xena", "h", "xena")
    first = store.games.create("olga", "xena")
    store.games.accept(first.id, "xena")
    for player, cell in (("xena", 4), ("olga", 0), ("xena", 8)):
        play(store, first.id, player, cell)
    assert store.games.get(first.id, at_least=5).moves == (4, 0, 8)
    # An invitation that gives X to its host: the host moves first once it is accepted.
    second = store.games.create("olga", "xena", x_is_host=True)
    started = store.games.accept(second.id, "xena")
    assert (started.x_player, started.o_player, started.turn) == ("olga", "xena", "olga")
    with pytest.raises(Rejected):  # the store itself refuses O's player moving first
        store.games.move(second.id, "xena", board.NEW_BOARD, board.place(board.NEW_BOARD, 4))
    for player, cell in (("olga", 0), ("xena", 4), ("olga", 1), ("xena", 8), ("olga", 2)):
        after = play(store, second.id, player, cell)
    assert (after.status, after.winner, after.line) == (Status.FINISHED, "olga", (0, 1, 2))
    assert after.moves == (0, 4, 1, 8, 2) and after.turn is None
