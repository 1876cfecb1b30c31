"""Capacity budgets: what each kind of request may cost in DynamoDB, checked on DynamoDB Local.

The budgets are facts of the design, not timings: a move is one conditional write that
touches no index; an index entry is written when a game is created and rewritten when it
finishes; a poll, a page and a login are one eventually consistent read each; the home page
is one query per index and one batch read of the open games. A change that makes any kind
of request cost more fails here, naming the request, the step and the units.

Capacity is what DynamoDB Local reports through ReturnConsumedCapacity (moto does not count
it the same way), recorded by the benchmark's hook on the app's own client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import Recorder
from bench.flows import TIE_IN_9, WIN_IN_7, Browser, new_pair, play_game
from tests.conftest import make_settings, passthrough
from tictactoe import create_app

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Budget:
    calls: int
    rcu: float
    wcu: float


# One request of each type, for players with a history and at most one open game.
BUDGETS = {
    "login": Budget(calls=1, rcu=0.5, wcu=0),  # the player's item, eventually consistent
    "home": Budget(calls=3, rcu=1.5, wcu=0),  # a query per index + a batch read of open games
    "create": Budget(calls=2, rcu=0.5, wcu=3),  # the opponent exists; the table + both indexes
    "page": Budget(calls=1, rcu=0.5, wcu=0),  # the game, eventually consistent
    "accept": Budget(calls=1, rcu=0, wcu=1),  # the table only: no index key or attribute changes
    "move": Budget(calls=1, rcu=0, wcu=1),  # one conditional write, the table only
    "poll": Budget(calls=1, rcu=0.5, wcu=0),  # one eventually consistent read, 304 or 200
}
# The move that ends a game also moves the game to FINISHED_ in both indexes (delete + put).
FINISHING_MOVE = Budget(calls=1, rcu=0, wcu=5)
GAME = {"wcu": 17, "cost": 90}  # issue 6: per complete 7-move game (5 x WCU + RCU)
WAITING_RCU_PER_MINUTE = 15  # issue 6: both screens, one of them polling


@pytest.fixture
def recorded(dynamodb_local_url: str) -> Iterator[tuple[Any, Recorder]]:
    """The app on DynamoDB Local, with the capacity recorder on its DynamoDB client."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        # With the production limits on: a successful login must stay one read (limits.py).
        limited = replace(make_settings(endpoint=dynamodb_local_url), failed_logins_per_account=10,
                          login_attempts_per_client=60, signups_per_client=20)  # fmt: skip
        app = create_app(limited)
        yield app, Recorder.install(app.extensions["tictactoe"].dynamodb)


def players_with_history(
    app: Any, cells: tuple[int, ...], pictures: bool = False
) -> tuple[str, str]:
    """Two new players who have played each other twice, each once as host."""
    host, opponent = new_pair(app, pictures)
    play_game(host, opponent, cells)
    play_game(Browser(app.test_client(), opponent.name), Browser(app.test_client(), host.name),
              cells)  # fmt: skip
    return host.name, opponent.name


def play_step_by_step(
    app: Any, recorder: Recorder, cells: tuple[int, ...], pictures: bool = False
) -> list[tuple]:
    """Play a complete game as browsers do; return (step, capacity snapshot) per step."""
    host, opponent = players_with_history(app, cells, pictures)
    steps: list[tuple[str, dict[str, Any]]] = []

    def step(name: str) -> None:
        steps.append((name, recorder.snapshot()))
        recorder.reset()

    recorder.reset()
    final = play_game(Browser(app.test_client(), host), Browser(app.test_client(), opponent),
                      cells, step)  # fmt: skip
    assert final["status"] == "FINISHED"
    return steps


@pytest.mark.parametrize(
    ("cells", "pictures"),
    [(WIN_IN_7, False), (TIE_IN_9, False), (WIN_IN_7, True)],
    ids=["7-move win", "9-move tie", "7-move win, players with pictures"],
)
def test_every_request_stays_within_its_budget(
    recorded: Any, cells: tuple[int, ...], pictures: bool
) -> None:
    app, recorder = recorded
    over = []
    for name, used in play_step_by_step(app, recorder, cells, pictures):
        for kind, usage in used["by_type"].items():
            budget = FINISHING_MOVE if name == f"move {len(cells)}" else BUDGETS.get(kind)
            if budget is None:
                over.append(f"{name}: {kind} requests have no budget; used {usage}")
            elif (
                usage["calls"] > budget.calls or usage["rcu"] > budget.rcu
                or usage["wcu"] > budget.wcu
            ):  # fmt: skip
                over.append(f"{name}: {kind} used {usage}, budget {budget}")
    assert not over, "\n".join(over)


def test_moves_write_the_table_alone_until_the_game_ends(recorded: Any) -> None:
    app, recorder = recorded
    steps = dict(play_step_by_step(app, recorder, WIN_IN_7))
    for turn in range(1, 7):
        assert set(steps[f"move {turn}"]["by_target"]) == {"Games"}, turn
    assert set(steps["move 7"]["by_target"]) == {
        "Games",
        "Games/HostId-StatusDate-index",
        "Games/OpponentId-StatusDate-index",
    }


def test_a_complete_game_costs_at_most_half_the_samples_writes(recorded: Any) -> None:
    app, recorder = recorded
    steps = play_step_by_step(app, recorder, WIN_IN_7)
    wcu = sum(used["total"]["wcu"] for _, used in steps)
    cost = sum(used["total"]["cost"] for _, used in steps)
    assert wcu <= GAME["wcu"]
    assert cost <= GAME["cost"]


def test_waiting_costs_at_most_15_read_units_a_minute(recorded: Any) -> None:
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    waiting, to_move = Browser(app.test_client(), host), Browser(app.test_client(), opponent)
    waiting.log_in()
    to_move.log_in()
    game_id = waiting.invite(opponent)
    to_move.accept(game_id)  # the opponent (X) moves first: the host's page waits
    waiting.poll(game_id)
    recorder.reset()
    assert waiting.poll(game_id) == 304  # nothing changed
    poll = recorder.snapshot()["total"]
    poll_ms = int(re.search(r"POLL_MS = (\d+)", _game_js()).group(1))  # type: ignore[union-attr]
    # The page polls every POLL_MS while its player waits (`make bench` shows, in chromium,
    # that the other player's page does not poll at all).
    assert poll["calls"] == 1
    assert poll["rcu"] * 60_000 / poll_ms <= WAITING_RCU_PER_MINUTE


def _game_js() -> str:
    return (ROOT / "tictactoe" / "static" / "game.js").read_text()
