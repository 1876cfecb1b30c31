"""Capacity of ratings that can't be farmed (issue 28), as DynamoDB Local reports it.

The same Recorder as tests/store/test_capacity_budget.py, on the app's own client.

- A rated finish (FINISHING_MOVE there) also writes the pair's item (store/pairs.py) in its
  transaction: one more item, no index. AWS bills it 2 WCU (a transactional write of an item
  under 1 KB); DynamoDB Local reports 4 more (it bills a transaction per table touched).
- An unrated finish (the pair's fourth game in 24 hours) reads what a rated one reads (the
  game 0.5 RCU, the players' ratings 1 RCU), tries the transaction, which is cancelled on the
  pair's item, and then finishes the game in one UpdateItem of the game alone (1 WCU and its
  two index entries moved to FINISHED_, a delete and a put each): one call more than a rated
  finish, no Users item and no ladder entry written. A cancelled transaction is billed as if
  its writes were made (AWS: 2 WCU per item), so this is the dearest finish; it happens only
  to a pair past its third game in a day, and each such game still costs less than the
  rated one it would have been, plus 5 WCU.

Measured: unrated finishing move 4 calls, 1.5 RCU, 5 WCU (DynamoDB Local reports nothing for
the cancelled transaction); a rated one 3 calls, 1.5 RCU, 36 WCU. On AWS, pricing the
cancelled transaction in full (4 items, 8 WCU): 1.5 RCU, 13 WCU, against 16 for a rated one.
"""

from __future__ import annotations

from typing import Any

from bench.flows import WIN_IN_7, Browser, play_game
from tests.store import test_capacity_budget as rated
from tests.store.test_capacity_budget import Budget, players_with_history, within

# The app on DynamoDB Local with the recorder on its client; the sessions' clock held still.
recorded, clock = rated.recorded, rated.clock

# Issue 28 (live games): + the live index's delete (before: 5 WCU).
UNRATED_FINISH = Budget(calls=4, rcu=1.5, wcu=6)


def test_the_fourth_game_of_a_pair_in_a_day_finishes_within_its_budget(recorded: Any) -> None:
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)  # two rated games
    third = play_game(
        Browser(app.test_client(), host), Browser(app.test_client(), opponent), WIN_IN_7
    )
    assert third["rated"] is True
    steps: dict[str, dict[str, Any]] = {}

    def step(name: str) -> None:
        steps[name] = recorder.snapshot()
        recorder.reset()

    recorder.reset()
    fourth = play_game(
        Browser(app.test_client(), host), Browser(app.test_client(), opponent), WIN_IN_7, step
    )
    assert fourth["rated"] is False
    used = steps["move 7"]
    assert within(used["by_type"]["move"], UNRATED_FINISH), used["by_type"]["move"]
    assert "Users/Ladder-Rank-index" not in used["by_target"]  # no ladder entry moved
    assert used["by_target"]["Users"]["wcu"] == 0  # the ratings read, nothing written
