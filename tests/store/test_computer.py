"""Games against the computer, through the use cases into the store, on moto and DynamoDB Local."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from random import Random
from typing import Any

import pytest

from tests.support.players import ApiPlayer
from tictactoe import create_app
from tictactoe.config import Settings
from tictactoe.rules import notices
from tictactoe.rules.board import COMPUTER, NEW_BOARD, Game, NotAPlayer, Seen, Status, place
from tictactoe.services import computer, games
from tictactoe.services.backend import Backend, build
from tictactoe.services.errors import Forbidden, Invalid
from tictactoe.store import Rejected, TooManyGames, ensure_tables, lists
from tictactoe.store.computer import MAX_OPEN
from tictactoe.store.games import DELETED_PLAYER
from tictactoe.store.schema import OPPONENT_INDEX

ANN = "ann"
# (player's cell, computer's reply) pairs, the player X: they win on the top row.
PLAYER_WINS = ((0, 3), (1, 4), (2, None))
COMPUTER_WINS = ((0, 3), (1, 4), (8, 5))  # the computer (O) takes the middle row
TIE = ((0, 1), (2, 4), (3, 5), (7, 6), (8, None))  # the player's ninth mark fills the board


@pytest.fixture
def store(settings: Settings) -> Backend:
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    backend.users.create(ANN, "not a real hash", ANN)
    return backend


@contextmanager
def counted(store: Backend) -> Iterator[list[str]]:
    """Yield the list of DynamoDB operations the store calls meanwhile."""
    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    store.dynamodb.meta.events.register("before-call.dynamodb", note)
    try:
        yield calls
    finally:
        store.dynamodb.meta.events.unregister("before-call.dynamodb", note)


def item(store: Backend, game_id: str) -> dict[str, Any]:
    key = {"GameId": {"S": game_id}}
    found = store.dynamodb.get_item(
        TableName=store.settings.games_table, Key=key, ConsistentRead=True
    )
    return found["Item"]  # type: ignore[no-any-return]


def everything(store: Backend, table: str) -> list[dict[str, Any]]:
    return store.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]  # type: ignore[no-any-return]


def play(store: Backend, game: Game, pairs: tuple[tuple[int, int | None], ...]) -> Game:
    """Write each move with the computer's reply given (not chosen), one write each."""
    for cell, answer in pairs:
        placed = place(game.board, cell)
        reply = place(placed.board, answer) if answer is not None else None
        game = store.games.computer.move(game.id, ANN, game.board, game.level or "", placed, reply)
    return game


def test_a_game_is_one_item_in_progress_with_no_opponent_id(store: Backend) -> None:
    with counted(store) as calls:
        game = computer.start(store.games, ANN, "easy")
    assert calls == ["Query", "PutItem"]  # the cap's count, the game
    stored = item(store, game.id)
    assert "OpponentId" not in stored and stored["Computer"] == {"S": "easy"}
    assert stored["StatusDate"]["S"].startswith("OPEN_") and stored["Turn"] == {"S": ANN}
    assert stored["XIsHost"] == {"BOOL": True} and stored["Moves"] == {"L": []}
    read = store.games.get(game.id)
    assert read == game
    assert (read.opponent, read.level, read.x_player, read.o_player, read.turn) == (
        COMPUTER,
        "easy",
        ANN,
        COMPUTER,
        ANN,
    )
    # No "computer" entry in the opponent index: no hot partition there.
    found = store.dynamodb.query(
        TableName=store.settings.games_table,
        IndexName=OPPONENT_INDEX,
        KeyConditionExpression="OpponentId = :c",
        ExpressionAttributeValues={":c": {"S": COMPUTER}},
    )
    assert found["Items"] == []


def test_when_the_computer_plays_first_its_move_is_on_the_board(store: Backend) -> None:
    game = computer.start(store.games, ANN, "perfect", "computer", rng=Random(3))
    assert game.board.count("X") == 1 and game.board.count("-") == 8
    assert game.moves == (game.board.index("X"),)
    assert (game.x_player, game.o_player, game.turn) == (COMPUTER, ANN, ANN)
    assert store.games.get(game.id) == game
    assert "XIsHost" not in item(store, game.id)


@pytest.mark.parametrize(
    ("level", "first", "message"),
    [
        ("hard", "me", "level must be"),
        (None, "me", "level must be"),
        (["easy"], "me", "level"),
        ("easy", "you", "first must be"),
        ("easy", None, "first must be"),
    ],
)
def test_a_bad_level_or_first_is_invalid_and_writes_nothing(
    store: Backend, level: Any, first: Any, message: str
) -> None:
    with counted(store) as calls, pytest.raises(Invalid, match=message):
        computer.start(store.games, ANN, level, first)
    assert calls == []


def test_a_move_and_the_reply_are_one_write_and_no_read(store: Backend) -> None:
    game = computer.start(store.games, ANN, "medium")
    with counted(store) as calls:
        moved = games.move(store.games, game.id, ANN, 4, Seen(game.board, "medium"), Random(1))
    assert calls == ["UpdateItem"]
    assert moved.board[4] == "X" and moved.board.count("O") == 1
    assert (moved.turn, moved.version, moved.status) == (ANN, 2, Status.IN_PROGRESS)
    assert moved.moves == (4, moved.board.index("O"))
    assert store.games.get(moved.id) == moved


def test_without_the_state_the_move_reads_the_game_first(store: Backend) -> None:
    game = computer.start(store.games, ANN, "easy")
    with counted(store) as calls:
        moved = games.move(store.games, game.id, ANN, 0, None, Random(1))
    assert calls == ["GetItem", "UpdateItem"]
    assert moved.board.count("X") == moved.board.count("O") == 1


def test_a_state_that_names_the_wrong_kind_of_game_still_moves_as_the_game_is(
    store: Backend,
) -> None:
    game = computer.start(store.games, ANN, "easy")
    with counted(store) as calls:  # a people game's state: refused, then as the game says
        moved = games.move(store.games, game.id, ANN, 0, Seen(game.board), Random(1))
    assert calls == ["UpdateItem", "UpdateItem"]  # no read: the refusal returned the game
    assert moved.board.count("O") == 1 and moved.version == 2
    forged = games.move(store.games, game.id, ANN, 8, Seen(moved.board, "perfect"), Random(1))
    assert forged.board.count("O") == 2 and item(store, game.id)["Computer"] == {"S": "easy"}
    # And a people game named as a computer game gets no reply written into it.
    people = store.games.accept(store.games.create("bob", ANN).id, ANN)
    moved = games.move(store.games, people.id, ANN, 4, Seen(people.board, "easy"), Random(1))
    assert moved.board == "----X----" and moved.turn == "bob"


@pytest.mark.parametrize(
    ("pairs", "first", "winner", "board"),
    [
        (PLAYER_WINS, "me", ANN, "XXXOO----"),
        (COMPUTER_WINS, "me", COMPUTER, "XX-OOO--X"),
        (TIE, "me", None, "XOXXOOOXX"),
    ],
    ids=["the player wins", "the computer wins", "a tie"],
)
def test_the_move_that_ends_the_game_finishes_it_in_the_same_single_write(
    store: Backend, pairs: Any, first: str, winner: str | None, board: str
) -> None:
    game = computer.start(store.games, ANN, "easy", first)
    users_before = everything(store, store.settings.users_table)
    game = play(store, game, pairs[:-1])
    with counted(store) as calls:
        final = play(store, game, pairs[-1:])
    assert calls == ["UpdateItem"]  # no transaction, no Users item, no read
    assert (final.status, final.winner, final.board, final.turn) == (
        Status.FINISHED,
        winner,
        board,
        None,
    )
    stored = item(store, game.id)
    assert stored["FinalBoard"] == {"S": board} and stored["StatusDate"]["S"].startswith("FIN")
    assert "Turn" not in stored and len(stored["Moves"]["L"]) == board.count("X") * 2 - (
        board.count("X") - board.count("O")
    )
    assert everything(store, store.settings.users_table) == users_before  # not rated
    assert store.games.get(game.id) == final


def test_a_tie_can_be_the_computers_reply(store: Backend) -> None:
    game = store.games.computer.start(ANN, "easy", 4, None)  # the computer opens in the centre
    assert (game.board, game.x_player) == ("----X----", COMPUTER)
    final = play(store, game, ((1, 0), (8, 2), (6, 5), (3, 7)))  # its last reply fills it
    assert (final.board, final.winner, final.status) == ("XOXOXXOXO", None, Status.FINISHED)
    assert final.moves == (4, 1, 0, 8, 2, 6, 5, 3, 7)


def test_resigning_is_one_write_the_computer_wins_and_nothing_is_rated(store: Backend) -> None:
    game = computer.start(store.games, ANN, "perfect")
    users_before = everything(store, store.settings.users_table)
    with counted(store) as calls:
        resigned = games.resign(store.games, game.id, ANN)
    assert calls == ["GetItem", "UpdateItem"]  # the game read, then one write: no transaction
    assert (resigned.status, resigned.winner) == (Status.FINISHED, COMPUTER)
    assert everything(store, store.settings.users_table) == users_before
    assert store.ladder.top() == []


def test_claiming_against_the_computer_is_refused_and_writes_nothing(store: Backend) -> None:
    game = computer.start(store.games, ANN, "easy")
    store.games.clock = lambda: 10**10  # long past any turn timeout
    with counted(store) as calls, pytest.raises(Forbidden, match="no win to claim"):
        games.claim(store.games, game.id, ANN)
    assert calls == ["GetItem"]
    assert store.games.get(game.id) == game


def test_a_rematch_is_a_new_game_at_the_same_level_with_the_marks_swapped(store: Backend) -> None:
    game = computer.start(store.games, ANN, "medium")
    play(store, game, PLAYER_WINS)
    rematch, created = games.rematch(store.games, game.id, ANN, None, Random(5))
    assert created and rematch.id == store.games.get(game.id).rematch
    assert (rematch.level, rematch.status, rematch.turn) == ("medium", Status.IN_PROGRESS, ANN)
    assert (rematch.x_player, rematch.o_player) == (COMPUTER, ANN)  # ann played X before
    assert rematch.board.count("X") == 1 and len(rematch.moves) == 1  # its opening is there
    assert store.games.get(rematch.id) == rematch
    again, created = games.rematch(store.games, game.id, ANN, None, Random(6))
    assert (again, created) == (rematch, False)
    # The rematch's own rematch gives ann X again, on an empty board.
    games.resign(store.games, rematch.id, ANN)
    third, created = games.rematch(store.games, rematch.id, ANN)
    assert created and (third.x_player, third.board, third.moves) == (ANN, NEW_BOARD, ())


def test_the_home_lists_show_games_against_the_computer(store: Backend) -> None:
    playing = computer.start(store.games, ANN, "perfect")
    over = computer.start(store.games, ANN, "easy", "computer", rng=Random(2))
    games.resign(store.games, over.id, ANN)
    with counted(store) as calls:
        lists = games.lists(store.games, ANN)
    assert calls == ["Query", "Query", "BatchGetItem"]  # what a home page always costs
    assert [g.id for g in lists.in_progress] == [playing.id]
    assert lists.in_progress[0].level == "perfect"
    assert [(g.id, g.opponent, g.winner) for g in lists.finished] == [(over.id, COMPUTER, COMPUTER)]
    assert (lists.finished[0].x_player, lists.finished[0].o_player) == (COMPUTER, ANN)
    assert lists.finished[0].level == "easy"  # issue 28: finished, it keeps its level


def test_every_finished_game_against_the_computer_keeps_its_level_in_the_list(
    store: Backend,
) -> None:
    won = play(store, computer.start(store.games, ANN, "easy"), PLAYER_WINS)
    lost = play(store, computer.start(store.games, ANN, "medium"), COMPUTER_WINS)
    tied = play(store, computer.start(store.games, ANN, "perfect"), TIE)
    resigned = computer.start(store.games, ANN, "medium")
    games.resign(store.games, resigned.id, ANN)
    invitation = store.games.create("bob", ANN)
    people = store.games.accept(invitation.id, ANN)
    people = store.games.resign(people, "bob")  # a finished game between people: no level
    lists = games.lists(store.games, ANN)  # no game in progress: the batch reads only these
    assert lists.in_progress == []
    assert [(g.id, g.level, g.status) for g in lists.finished] == [
        (people.id, None, Status.FINISHED),
        (resigned.id, "medium", Status.FINISHED),
        (tied.id, "perfect", Status.FINISHED),
        (lost.id, "medium", Status.FINISHED),
        (won.id, "easy", Status.FINISHED),
    ]
    assert [g.winner for g in lists.finished] == [ANN, COMPUTER, None, COMPUTER, ANN]
    assert lists.finished[0].host == "bob" and lists.finished[1].opponent == COMPUTER


def test_a_finished_games_level_is_read_once_and_again_only_once_forgotten(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lists, "LEVELS_KEPT", 2)  # a process that keeps two levels
    store = build(settings)
    ensure_tables(store.dynamodb, settings)
    ids = []
    for level in ("easy", "medium", "perfect"):
        game = computer.start(store.games, ANN, level)
        ids.append(games.resign(store.games, game.id, ANN).id)
    for _ in range(2):  # the third level read is one more than the two kept: read again
        with counted(store) as calls:
            found = games.lists(store.games, ANN).finished
        assert [(g.id, g.level) for g in found] == list(
            zip(reversed(ids), ("perfect", "medium", "easy"), strict=True)
        )
        assert calls == ["Query", "Query", "BatchGetItem"]
    monkeypatch.setattr(lists, "LEVELS_KEPT", 10)
    store = build(settings)  # a new process: nothing kept yet
    for expected in (["Query", "Query", "BatchGetItem"], ["Query", "Query"]):
        with counted(store) as calls:
            found = games.lists(store.games, ANN).finished
        assert [g.level for g in found] == ["perfect", "medium", "easy"]
        assert calls == expected  # the second list reads nothing from the table


def test_the_games_json_lists_a_finished_game_against_the_computer_with_its_level(
    settings: Settings,
) -> None:
    app = create_app(settings)
    me = ApiPlayer(app.test_client(), "lister").register()
    game = me.call("POST", "/api/computer-games", {"level": "medium"}).get_json()
    assert me.call("POST", f"/api/games/{game['id']}/resign").status_code == 200
    listed = me.call("GET", "/api/games").get_json()
    assert [(g["id"], g["status"], g["computer"]) for g in listed["finished"]] == [
        (game["id"], "FINISHED", "medium")
    ]


def test_the_twenty_first_game_in_progress_is_refused_and_writes_nothing(store: Backend) -> None:
    # Games in progress against people that ann hosts do not count (more than a page of them).
    for i in range(45):
        store.dynamodb.put_item(
            TableName=store.settings.games_table,
            Item={
                "GameId": {"S": f"people-{i:04}"},
                "HostId": {"S": ANN},
                "OpponentId": {"S": f"p{i}"},
                "StatusDate": {"S": f"OPEN_2025-01-01T00:{i:02}"},
            },
        )
    started = [computer.start(store.games, ANN, "easy") for _ in range(MAX_OPEN)]
    before = len(everything(store, store.settings.games_table))
    with pytest.raises(TooManyGames, match=f"{MAX_OPEN} games in progress"):
        computer.start(store.games, ANN, "perfect", "computer")
    assert len(everything(store, store.settings.games_table)) == before
    finished = play(store, started[0], PLAYER_WINS)  # 19 in progress: room for one
    rematch, _ = games.rematch(store.games, finished.id, ANN)
    assert rematch.status is Status.IN_PROGRESS
    with pytest.raises(TooManyGames):  # the rematch took it
        computer.start(store.games, ANN, "easy")
    play(store, started[1], PLAYER_WINS)
    computer.start(store.games, ANN, "easy")  # room again, taken again
    with pytest.raises(TooManyGames):  # so this rematch is refused, and nothing written
        games.rematch(store.games, started[1].id, ANN)
    assert store.games.get(started[1].id).rematch is None


def test_deleting_the_account_leaves_the_games_to_the_computer(store: Backend) -> None:
    playing = computer.start(store.games, ANN, "easy")
    won = computer.start(store.games, ANN, "easy")
    play(store, won, PLAYER_WINS)
    lost = computer.start(store.games, ANN, "easy")
    play(store, lost, COMPUTER_WINS)
    for game_id in store.games.games_of(ANN):  # what accounts.delete_account does
        store.games.forget_player(game_id, ANN)
    gone = store.games.get(playing.id)
    assert (gone.status, gone.host, gone.winner) == (Status.FINISHED, DELETED_PLAYER, COMPUTER)
    assert (store.games.get(won.id).host, store.games.get(won.id).winner) == (
        DELETED_PLAYER,
        DELETED_PLAYER,
    )
    assert store.games.get(lost.id).winner == COMPUTER
    assert store.games.games_of(ANN) == []
    with pytest.raises(Rejected):  # and no rematch of a game whose player left
        store.games.rematch(won.id, ANN, None, lambda level: 4)


def test_an_account_called_computer_from_before_is_no_player_of_these_games(
    store: Backend,
) -> None:
    store.users.create(COMPUTER, "not a real hash", "an old skeleton")
    game = computer.start(store.games, ANN, "easy")
    with pytest.raises(NotAPlayer):
        games.move(store.games, game.id, COMPUTER, 4)
    with pytest.raises(NotAPlayer):
        games.resign(store.games, game.id, COMPUTER)
    assert games.lists(store.games, COMPUTER).in_progress == []
    assert notices.changed(game).players == (ANN,)  # its stream is not told of it
    with pytest.raises(Forbidden):
        computer.start(store.games, COMPUTER, "easy")
    games.resign(store.games, game.id, ANN)
    with pytest.raises(Forbidden):
        games.rematch(store.games, game.id, COMPUTER)
    assert store.games.get(game.id).rematch is None
