"""Capacity of the home page's news (issue 28), beside test_capacity_budget.py, on DynamoDB Local.

Two reads are new, both `GET /api/games` (the "home" request type, so the "home" budget):
- once a home page's stream is open, it reads its lists once more, so that a change landing
  between its render and its stream reaches it: a home view with push on costs two list reads;
- a home page with no stream (push off, the bus down) reads its lists every POLL_MS (10 s)
  while visible, every HIDDEN_POLL_MS (60 s) while hidden, instead of never.
Each must cost what the home page costs (one query per index and one batch read of the games
in progress), and a minute of a visible home page with no stream at most HOME_POLL_RCU_PER_MINUTE.
"""

from __future__ import annotations

import re
from typing import Any

from bench.flows import WIN_IN_7, Browser
from tests.store.test_capacity_budget import (  # noqa: F401 (clock and recorded are fixtures)
    BUDGETS,
    clock,
    players_with_history,
    recorded,
)
from tests.support import ROOT

# 6 list reads a minute at 1.5 RCU (docs/benchmarks.md): less than one waiting game page's
# 15, since invitations are not moves.
HOME_POLL_RCU_PER_MINUTE = 9.0


def home_js_ms(name: str) -> int:
    """A pace named in home.js (the page that polls), in milliseconds."""
    text = (ROOT / "tictactoe" / "static" / "home.js").read_text()
    found = re.search(rf"const {name} = (\d+);", text)
    assert found, name
    return int(found.group(1))


def test_a_list_read_costs_what_the_home_page_costs(recorded: Any) -> None:  # noqa: F811
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    me = Browser(app.test_client(), host)
    me.log_in()
    Browser(app.test_client(), opponent).log_in()
    me.invite(opponent)  # a list with a game in it: the batch read of games in progress too
    recorder.reset()
    response = me.client.get("/api/games", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["sent"]
    used = recorder.snapshot()["by_type"]
    assert set(used) == {"home"}, used
    home, budget = used["home"], BUDGETS["home"]
    assert home["calls"] <= budget.calls and home["rcu"] <= budget.rcu and home["wcu"] == 0


def test_a_home_page_with_no_stream_costs_at_most_9_read_units_a_minute() -> None:
    poll_ms, hidden_ms = home_js_ms("POLL_MS"), home_js_ms("HIDDEN_POLL_MS")
    per_read = BUDGETS["home"].rcu
    assert per_read * 60_000 / poll_ms <= HOME_POLL_RCU_PER_MINUTE
    assert hidden_ms >= poll_ms  # hidden, gentler still
