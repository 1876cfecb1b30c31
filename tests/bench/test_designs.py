"""The table designs' measurement (bench/designs.py) on DynamoDB Local.

Today's design must bill what the app's own capacity budgets work out by hand
(tests/store/test_capacity_budget.py, as AWS bills it): the invitation 4 WCU (the game, its
two index entries, the pair's lock), the accept 5 (the game, and both index entries moved from
INVITED_ to OPEN_: a delete and a put each), a plain move 1 (the table alone), the finishing
transaction 14 (the game 2, both index entries moved to FINISHED_ 2 + 2, both Users items
2 + 2, both ladder entries moved as the Rank changes 2 + 2).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.suites.designs.measure import DESIGNS, measure_design
from bench.suites.designs.report import markdown


@pytest.fixture(scope="module")
def measured(dynamodb_local_url: str) -> dict[str, dict[str, Any]]:
    wanted = {"today", "host_stays"}
    return {d.key: measure_design(dynamodb_local_url, d) for d in DESIGNS if d.key in wanted}


def test_today_bills_what_the_app_s_capacity_budget_works_out(
    measured: dict[str, dict[str, Any]],
) -> None:
    steps = measured["today"]["steps"]
    assert {s: steps[s]["wcu"] for s in ("invite", "accept", "moves", "finish")} == {
        "invite": 4,
        "accept": 5,
        "moves": 6,
        "finish": 14,
    }
    assert steps["moves"]["calls"] == 6  # six plain moves, 1 WCU each
    assert steps["accept"]["calls"] == 1 and steps["finish"]["calls"] == 1
    assert measured["today"]["wcu"] == 29
    # Each home load: one query per index (0.5 RCU each); the batch read only for open games.
    assert steps["home before"]["rcu"] == 2 * 1.0
    assert steps["home playing"]["rcu"] == 2 * 1.5


def test_the_host_key_that_stays_saves_exactly_the_accept_s_host_move(
    measured: dict[str, dict[str, Any]],
) -> None:
    today, stays = measured["today"], measured["host_stays"]
    assert stays["steps"]["accept"]["wcu"] == today["steps"]["accept"]["wcu"] - 2
    for step in ("invite", "moves", "finish"):
        assert stays["steps"][step]["wcu"] == today["steps"][step]["wcu"]
    assert stays["wcu"] == today["wcu"] - 2
    # The accept wrote no host index entry; today's wrote two (a delete and a put).
    today_index = today["by_target"]["Games/HostId-StatusDate-index"]["wcu"]
    stays_index = stays["by_target"]["Games/HostId-HostDate-index"]["wcu"]
    assert stays_index == today_index - 2
    # The price: the host's home tells a pending sent invitation from a game by reading it.
    assert stays["home_pending_host_rcu"] == today["home_pending_host_rcu"] + 0.5
    assert stays["flow_rcu"] == today["flow_rcu"]


def test_the_report_shows_every_measured_design(measured: dict[str, dict[str, Any]]) -> None:
    lines = markdown({"designs": {"designs": list(measured.values())}})
    assert lines[0].startswith("## Writing less per game")
    rows = [line for line in lines if line.startswith("| host key that stays |")]
    assert rows and "| 4 | 3 | 6 | 14 | 27 | −2 |" in rows[0]
