"""Rematches and open challenges in the store, run twice: on moto and on DynamoDB Local."""

from __future__ import annotations

from typing import Any

import pytest

from tictactoe.config import Settings
from tictactoe.rules import board
from tictactoe.rules.board import Game, Status
from tictactoe.services.backend import Backend, build
from tictactoe.store import MAX_SENT, Rejected, TooManyInvitations, ensure_tables

PICTURE = "a" * 64


@pytest.fixture
def store(settings: Settings) -> Backend:
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    return backend


def item(store: Backend, game_id: str) -> dict[str, Any]:
    found = store.dynamodb.get_item(
        TableName=store.settings.games_table, Key={"GameId": {"S": game_id}}, ConsistentRead=True
    )
    return found.get("Item", {})


def finished(store: Backend, host: str = "hana", opponent: str = "otto") -> Game:
    """A game `opponent` (X) won against `host` (O) along the top row."""
    game = store.games.accept(store.games.create(host, opponent, (None, PICTURE)).id, opponent)
    for player, cell in ((opponent, 0), (host, 3), (opponent, 1), (host, 4), (opponent, 2)):
        game = store.games.move(game.id, player, game.board, board.place(game.board, cell))
    assert game.status is Status.FINISHED
    return game


def test_a_challenge_has_no_opponent_until_one_player_takes_it(store: Backend) -> None:
    game = store.games.challenge("hana", PICTURE)
    stored = item(store, game.id)
    assert "OpponentId" not in stored and stored["Challenge"] == {"BOOL": True}
    assert store.games.get(game.id) == game
    assert [g.id for g in store.games.lists("hana").sent] == [game.id]
    assert store.games.lists("hana").sent[0].opponent is None
    with pytest.raises(Rejected):
        store.games.accept(game.id, "hana")  # not its own host
    taken = store.games.accept(game.id, "tara", "b" * 64)
    assert (taken.status, taken.opponent, taken.turn) == (Status.IN_PROGRESS, "tara", "tara")
    assert (taken.x_player, taken.o_player, taken.opponent_picture) == ("tara", "hana", "b" * 64)
    assert taken.expires_at is None and item(store, game.id)["Waiting"] == {"S": "hana"}
    with pytest.raises(Rejected) as late:
        store.games.accept(game.id, "lena")
    assert late.value.current is not None and late.value.current.opponent == "tara"
    assert [g.id for g in store.games.lists("tara").in_progress] == [game.id]


def test_an_invitations_accept_keeps_the_picture_it_was_sent_with(store: Backend) -> None:
    game = store.games.create("hana", "otto", (None, PICTURE))
    assert store.games.accept(game.id, "otto", "c" * 64).opponent_picture == PICTURE
    with pytest.raises(Rejected):  # and a third player cannot take an invitation
        store.games.accept(store.games.create("hana", "lena").id, "tara")


def test_challenges_count_against_the_cap_and_expire(store: Backend) -> None:
    challenges = [store.games.challenge("hana") for _ in range(MAX_SENT)]
    with pytest.raises(TooManyInvitations):
        store.games.challenge("hana")
    with pytest.raises(TooManyInvitations):
        store.games.create("hana", "otto")
    start = store.games.clock()
    store.games.clock = lambda: start + store.games.expiry_seconds + 1
    assert store.games.lists("hana").sent == []
    with pytest.raises(Rejected):
        store.games.accept(challenges[0].id, "otto")
    store.games.cancel(challenges[1].id, "hana")  # withdrawing a lapsed one still works
    assert item(store, challenges[1].id) == {}


def test_a_rematch_is_asked_once_and_the_other_players_ask_accepts_it(store: Backend) -> None:
    old = finished(store)
    asked, created = store.games.rematch(old.id, "otto", "d" * 64)
    assert created and (asked.host, asked.opponent, asked.status) == ("otto", "hana", "PENDING")
    assert (asked.x_player, asked.host_picture, asked.opponent_picture) == ("hana", "d" * 64, None)
    marked = store.games.get(old.id, at_least=old.version + 1)
    assert marked.rematch == asked.id and marked.version == old.version + 1
    assert store.games.rematch(old.id, "otto", None) == (store.games.get(asked.id), False)
    started, created = store.games.rematch(old.id, "hana", None)
    assert not created and started.id == asked.id
    assert (started.status, started.turn, started.x_player) == (Status.IN_PROGRESS, "hana", "hana")
    assert store.games.lists("hana").in_progress[0].x_player == "hana"


def test_lists_show_who_plays_x_in_a_rematch(store: Backend) -> None:
    old = finished(store)
    asked, _ = store.games.rematch(old.id, "hana", PICTURE)  # the old O player asks: X is hers
    for listed in (store.games.lists("hana").sent[0], store.games.lists("otto").invites[0]):
        assert (listed.id, listed.x_player, listed.o_player) == (asked.id, "hana", "otto")
    game = store.games.accept(asked.id, "otto")
    for player, cell in (("hana", 0), ("otto", 3), ("hana", 1), ("otto", 4), ("hana", 2)):
        game = store.games.move(game.id, player, game.board, board.place(game.board, cell))
    done = store.games.lists("otto").finished[0]
    assert (done.id, done.winner, done.x_player, done.line) == (game.id, "hana", "hana", (0, 1, 2))


@pytest.mark.parametrize("case", ["stranger", "in progress", "invitation", "missing"])
def test_a_rematch_is_refused_with_the_game_as_it_is(store: Backend, case: str) -> None:
    game_id, player = {
        "stranger": lambda: (finished(store).id, "lena"),
        "in progress": lambda: (
            store.games.accept(store.games.create("hana", "otto").id, "otto").id,
            "otto",
        ),
        "invitation": lambda: (store.games.create("hana", "otto").id, "hana"),
        "missing": lambda: ("nosuchgame000", "hana"),
    }[case]()
    with pytest.raises(Rejected) as refused:
        store.games.rematch(game_id, player, None)
    current = refused.value.current
    assert (current is None) == (case == "missing")
    assert current is None or (current.rematch is None and "Rematch" not in item(store, game_id))


def test_a_rematch_named_but_never_put_is_put_by_the_next_to_ask(store: Backend) -> None:
    old = finished(store)
    store.dynamodb.update_item(
        TableName=store.settings.games_table,
        Key={"GameId": {"S": old.id}},
        UpdateExpression="SET Rematch = :id",
        ExpressionAttributeValues={":id": {"S": "orphanedrematch1"}},
    )
    game, created = store.games.rematch(old.id, "hana", None)
    assert created and (game.id, game.host, game.x_player) == ("orphanedrematch1", "hana", "hana")
    assert store.games.get("orphanedrematch1") == game
