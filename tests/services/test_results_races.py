"""Races on the real DynamoDB Local: whatever finishes a game first is its only outcome, and
the players' Users items count it exactly once."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.players import ApiPlayer, signed_in

TABS = 2  # browser tabs per side, each firing once at the same moment
DAY = 24 * 3600


def new_game(app: Any, tag: str, cells: list[int]) -> tuple[ApiPlayer, ApiPlayer, dict[str, Any]]:
    """A host (O) and an opponent (X, first) who have played `cells` in turn."""
    host, opponent = (ApiPlayer(app.test_client(), f"{tag}{n}").register() for n in "ho")
    game = opponent.accept(host.invite(opponent))
    for turn, cell in enumerate(cells):
        assert (opponent, host)[turn % 2].move(game, cell).status_code == 200
    return host, opponent, host.call("GET", f"/api/games/{game['id']}").get_json()


def race(*sides: tuple[list[ApiPlayer], Callable[[ApiPlayer], Any]]) -> list[list[Any]]:
    """Fire every side's action from each of its clients at once; return the answers by side."""
    answers: list[list[Any]] = [[] for _ in sides]
    jobs = [(i, c, act) for i, (clients, act) in enumerate(sides) for c in clients]
    start = threading.Barrier(len(jobs))

    def run(side: int, client: ApiPlayer, act: Callable[[ApiPlayer], Any]) -> None:
        start.wait()
        response = act(client)
        answers[side].append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def counted(app: Any, name: str) -> tuple[int, int, int, float | None]:
    """The player's Users item as stored: wins, losses, ties, rating (None: never counted)."""
    backend = app.extensions["tictactoe"]
    item = backend.dynamodb.get_item(
        TableName=backend.settings.users_table,
        Key={"UserKey": {"S": name.lower()}},
        ConsistentRead=True,
    )["Item"]
    number = lambda key: float(item[key]["N"]) if key in item else None  # noqa: E731
    return (
        int(number("Wins") or 0),
        int(number("Losses") or 0),
        int(number("Ties") or 0),
        number("Rating"),
    )


def assert_counted_once(app: Any, winner: str, loser: str) -> None:
    assert counted(app, winner) == (1, 0, 0, 1216.0)
    assert counted(app, loser) == (0, 1, 0, 1184.0)


@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize("resigner", ["the loser", "the winner, in another tab"])
def test_a_resignation_racing_the_winning_move(local_app: Any, resigner: str, round_: int) -> None:
    tag = f"rs{random.randrange(10**6)}"
    host, opponent, game = new_game(local_app, tag, [0, 3, 1, 4])  # X (opponent) wins on 2
    quitter = host if resigner == "the loser" else opponent
    movers = [signed_in(local_app, opponent.name) for _ in range(TABS)]
    quitters = [signed_in(local_app, quitter.name) for _ in range(TABS)]
    state = {"X-Game-State": "6-XX-OO----"}  # one tab sends the board it saw, one does not
    moves, resigns = race(
        (
            movers,
            lambda c: c.call(
                "POST",
                f"/api/games/{game['id']}/moves",
                {"cell": 2},
                headers=state if c is movers[0] else {},
            ),
        ),
        (quitters, lambda c: c.call("POST", f"/api/games/{game['id']}/resign")),
    )
    final = host.call("GET", f"/api/games/{game['id']}").get_json()
    assert final["status"] == "FINISHED"
    by_move = final["board"][2] == "X"
    winning, losing = (moves, resigns) if by_move else (resigns, moves)
    assert {status for status, _ in losing} == {409}  # the other way to finish changed nothing
    assert {status for status, _ in winning} <= {200, 409}
    assert [body for status, body in winning if status == 200][0] == final
    if not by_move:
        assert [status for status, _ in resigns].count(200) == 1  # a resignation happens once
    # The winning move and the loser's resignation make X the winner; X's own resignation O.
    assert final["winner"] == (opponent.name if by_move or quitter is host else host.name)
    loser = host.name if final["winner"] == opponent.name else opponent.name
    assert_counted_once(local_app, final["winner"], loser)


@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize("late_move", ["an ordinary move", "the winning move"])
def test_a_claim_racing_a_late_move(local_app: Any, late_move: str, round_: int) -> None:
    tag = f"cl{random.randrange(10**6)}"
    host, opponent, game = new_game(local_app, tag, [0, 3, 1, 4, 8])  # O (host) to move
    cell = 6 if late_move == "an ordinary move" else 5  # 5 completes O's middle row
    local_app.extensions["tictactoe"].games.clock = lambda: time.time() + 3 * DAY + 60
    movers = [signed_in(local_app, host.name) for _ in range(TABS)]
    claimers = [signed_in(local_app, opponent.name) for _ in range(TABS)]
    moves, claims = race(
        (movers, lambda c: c.call("POST", f"/api/games/{game['id']}/moves", {"cell": cell})),
        (claimers, lambda c: c.call("POST", f"/api/games/{game['id']}/claim")),
    )
    final = host.call("GET", f"/api/games/{game['id']}").get_json()
    moved = final["board"][cell] == "O"
    if moved:  # the move came first: no claim landed
        assert {status for status, _ in claims} <= {403, 409}  # now the claimer's turn, or over
        assert 200 in {status for status, _ in moves}
    else:  # the claim came first: exactly one claim landed, no move
        assert [status for status, _ in claims].count(200) == 1
        assert {status for status, _ in moves} == {409}
        assert (final["status"], final["winner"]) == ("FINISHED", opponent.name)
    if moved and late_move == "an ordinary move":
        assert final["status"] == "IN_PROGRESS" and final["turn"] == opponent.name
        assert counted(local_app, host.name) == counted(local_app, opponent.name) == (0, 0, 0, None)
    else:
        loser = opponent.name if final["winner"] == host.name else host.name
        assert_counted_once(local_app, final["winner"], loser)
