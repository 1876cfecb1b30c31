"""The live list's capacity budget (issue 28 section 4), on DynamoDB Local, and its index's cost.

A view of the list (the API's or the page's) is one Query of the live index, KEYS_ONLY, for
the newest LIVE_LENGTH + HEADROOM entries (small: about 80 bytes each, under 4 KB in all,
0.5 RCU), then one BatchGetItem of the LIVE_LENGTH games it shows, eventually consistent,
each under 4 KB: 0.5 RCU a game, 25 RCU for a full list. Never a Scan, and the cost does not
grow with the number of games being played, finished or waiting.

The index itself costs a game between people one index put when it starts and one delete
when it ends, and nothing per move (store/live.py). Measured here, as AWS bills it
(bench/harness/billing): 1 WCU at the accept and 1 WCU at the finish.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import Recorder
from bench.flows import WIN_IN_7, Browser, new_pair, play_game
from tests.conftest import make_settings, passthrough
from tests.store.test_capacity_budget import Budget, within
from tictactoe import create_app
from tictactoe.store.live import HEADROOM, LIVE_LENGTH
from tictactoe.store.schema import LIVE_INDEX

# One view of a full list: the Query (0.5 RCU) and the batch read of 50 games (25 RCU).
LIVE_LIST = Budget(calls=2, rcu=0.5 + 0.5 * LIVE_LENGTH, wcu=0)
# An empty list: the Query alone (DynamoDB Local bills 0 for a query that finds nothing; AWS
# 0.5), and no batch read.
EMPTY_LIVE_LIST = Budget(calls=1, rcu=0.5, wcu=0)
LIVE_TARGET = f"Games/{LIVE_INDEX}"


@pytest.fixture
def billed(dynamodb_local_url: str) -> Iterator[tuple[Any, Recorder]]:
    """The app on DynamoDB Local; its recorder also keeps what AWS would bill."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        app = create_app(replace(make_settings(endpoint=dynamodb_local_url)))
        yield app, Recorder.install(app.extensions["tictactoe"].dynamodb, bill=True)


def view(recorder: Recorder, viewer: Browser, path: str, endpoint: str) -> dict[str, Any]:
    """Load `path` as `viewer`; return what that request used."""
    recorder.reset()
    if path.startswith("/api/"):
        assert viewer.client.get(path).status_code == 200
    else:
        viewer.load(path)
    used: dict[str, Any] = recorder.snapshot()
    return used["by_type"][endpoint] | {"targets": set(used["by_target"])}


def test_a_full_live_list_is_one_query_and_one_batch_read(billed: Any) -> None:
    app, recorder = billed
    games = app.extensions["tictactoe"].games
    # More than the Query reads (LIVE_LENGTH + HEADROOM), started outside any request.
    for n in range(LIVE_LENGTH + HEADROOM + 5):
        games.accept(games.create(f"host{n}", f"guest{n}").id, f"guest{n}")
    viewer, _ = new_pair(app)
    viewer.log_in()
    for path, endpoint in (("/api/live-games", "api.live_games"), ("/live", "pages.live_games")):
        used = view(recorder, viewer, path, endpoint)
        assert within(used, LIVE_LIST), (path, used)
        assert LIVE_TARGET in used["targets"], used  # an index Query, never a Scan
        assert "Users" not in used["targets"]  # the games carry their players' pictures
    assert len(viewer.client.get("/api/live-games").get_json()["games"]) == LIVE_LENGTH


def test_an_empty_live_list_reads_the_index_alone(billed: Any) -> None:
    app, recorder = billed
    viewer, _ = new_pair(app)
    viewer.log_in()
    used = view(recorder, viewer, "/api/live-games", "api.live_games")
    assert within(used, EMPTY_LIVE_LIST), used
    assert used["targets"] == {LIVE_TARGET}


def test_the_live_index_costs_one_put_at_the_start_and_one_delete_at_the_finish(
    billed: Any,
) -> None:
    app, recorder = billed
    host, opponent = new_pair(app)
    steps: list[tuple[str, dict[str, Any]]] = []

    def step(name: str) -> None:
        steps.append((name, recorder.snapshot()["aws"]["by_target"].get(LIVE_TARGET, {})))
        recorder.reset()

    recorder.reset()
    final = play_game(host, opponent, WIN_IN_7, step)
    assert final["status"] == "FINISHED"
    live_writes = {name: used.get("wcu", 0) for name, used in steps if used.get("wcu", 0)}
    assert live_writes == {"opponent accepts": 1, "move 7": 1}
