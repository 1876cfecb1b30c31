"""The live list (issue 28 section 4) on moto and DynamoDB Local: which games, in what order.

Only games in progress between two people are listed; invitations, finished games and games
against the computer never are, however they started or ended. The list is the newest
LIVE_LENGTH started, ordered by their last move, newest first.
"""

from __future__ import annotations

from typing import Any

from tictactoe.rules import board
from tictactoe.services import computer
from tictactoe.services.backend import Backend
from tictactoe.store import Paired
from tictactoe.store.live import LIVE_LENGTH, live_keys
from tictactoe.store.schema import LIVE_INDEX


def play(backend: Backend, game_id: str, player: str, cell: int) -> Any:
    current = backend.games.get(game_id, at_least=0)
    board.check_move(current, player, cell)
    return backend.games.move(game_id, player, current.board, board.place(current.board, cell))


def started(backend: Backend, host: str, opponent: str) -> str:
    """Invite and accept: a game in progress between `host` and `opponent` (X, to move)."""
    game = backend.games.create(host, opponent)
    backend.games.accept(game.id, opponent)
    return game.id


def listed(backend: Backend) -> list[str]:
    return [g.id for g in backend.games.live.read()]


def indexed(backend: Backend) -> list[str]:
    """Return the ids of the games the live index holds an entry of."""
    entries = backend.dynamodb.query(
        TableName=backend.settings.games_table,
        IndexName=LIVE_INDEX,
        KeyConditionExpression="Live = :l",
        ExpressionAttributeValues={":l": live_values()[":l"]},
    )["Items"]
    return [e["GameId"]["S"] for e in entries]


def test_only_games_between_people_in_progress_are_listed(backend: Backend) -> None:
    games = backend.games
    accepted = started(backend, "ann", "bob")
    invitation = games.create("cat", "dan").id
    challenge = games.challenge("eve")
    taken = games.accept(challenge.id, "fay").id
    open_challenge = games.challenge("gus").id
    versus_computer = computer.start(games, "hal", "easy").id
    backend.pairing.play("ida")
    paired = backend.pairing.play("jon")
    assert isinstance(paired, Paired)
    won = started(backend, "kim", "lee")
    for player, cell in [("lee", 0), ("kim", 3), ("lee", 1), ("kim", 4), ("lee", 2)]:
        play(backend, won, player, cell)
    resigned = started(backend, "max", "ned")
    games.resign(games.get(resigned), "ned")
    forgotten = started(backend, "oli", "pat")
    games.forget_player(forgotten, "pat")

    found = listed(backend)

    assert sorted(found) == sorted([accepted, taken, paired.game.id])
    # The finishing writes took their games out of the index itself, not only out of the list.
    assert sorted(indexed(backend)) == sorted(found)
    for gone in (invitation, open_challenge, versus_computer, won, resigned, forgotten):
        assert gone not in found
    assert all(g.status is board.Status.IN_PROGRESS for g in games.live.read())


def test_a_rematch_between_people_is_listed_once_accepted(backend: Backend) -> None:
    games = backend.games
    first = started(backend, "ann", "bob")
    games.resign(games.get(first), "bob")
    rematch, created = games.rematch(first, "ann", None)
    assert created and listed(backend) == []  # asked, not yet accepted
    accepted, _ = games.rematch(first, "bob", None)
    assert accepted.id == rematch.id
    assert listed(backend) == [rematch.id]


def test_the_most_recently_moved_game_comes_first(backend: Backend) -> None:
    oldest = started(backend, "ann", "bob")
    middle = started(backend, "cat", "dan")
    newest = started(backend, "eve", "fay")
    assert listed(backend) == [newest, middle, oldest]  # no moves yet: as they started
    play(backend, oldest, "bob", 4)
    assert listed(backend) == [oldest, newest, middle]
    play(backend, middle, "dan", 0)
    play(backend, middle, "cat", 8)
    assert listed(backend) == [middle, oldest, newest]


def test_at_most_fifty_the_newest_started_ordered_by_last_move(backend: Backend) -> None:
    ids = [started(backend, f"host{n}", f"guest{n}") for n in range(LIVE_LENGTH + 5)]
    play(backend, ids[10], "guest10", 4)  # an older game, moved last: first in the list

    found = listed(backend)

    assert len(found) == LIVE_LENGTH
    assert set(found) == set(ids[5:])  # the five started first are left out
    assert found[0] == ids[10]
    assert found[1:] == [i for i in reversed(ids[5:]) if i != ids[10]]


def test_a_finished_game_left_in_the_index_is_never_listed(backend: Backend) -> None:
    """As a finish written by a release without the live index leaves it, or a stale entry."""
    kept = [started(backend, f"host{n}", f"guest{n}") for n in range(3)]
    done = started(backend, "ann", "bob")
    backend.games.resign(backend.games.get(done), "bob")
    keep_entry(backend, done)
    assert done in indexed(backend)  # the entry is there ...

    assert listed(backend) == list(reversed(kept))  # ... and the list skips it


def test_a_full_list_stays_full_when_some_entries_are_stale(backend: Backend) -> None:
    ids = [started(backend, f"host{n}", f"guest{n}") for n in range(LIVE_LENGTH + 2)]
    for n, game_id in enumerate(ids[-2:], start=LIVE_LENGTH):  # the two newest finish ...
        backend.games.resign(backend.games.get(game_id), f"guest{n}")
        keep_entry(backend, game_id)  # ... but keep their entries
    assert listed(backend) == list(reversed(ids[:LIVE_LENGTH]))


def live_values() -> dict[str, Any]:
    keys = live_keys("9999-12-31T00:00:00.000000Z")  # newer than any game's start
    return {":l": keys["Live"], ":s": keys["LiveSince"]}


def keep_entry(backend: Backend, game_id: str) -> None:
    """Put a finished game back in the live index, as an older release's finish left it."""
    backend.dynamodb.update_item(
        TableName=backend.settings.games_table,
        Key={"GameId": {"S": game_id}},
        UpdateExpression="SET Live = :l, LiveSince = :s",
        ExpressionAttributeValues=live_values(),
    )
