"""Capacity of a home list's "more" link (issue 28, section 5), on DynamoDB Local.

`GET /api/games?more=1` (and the home page's `?more=1`) reads as a home page does, one query
per index and one batch read of the games in progress, with pages of up to MORE_LENGTH (50)
entries instead of LIST_LENGTH (10): the "home" request type. For a player with MORE_GAMES
finished games it stays within the home budget (measured: 2 calls, 0.5 RCU, as the plain
read); an index entry is small, so even 50 of them are one or two read units per query. Only
a player who follows the link pays it; the home page and its polls read as before
(test_capacity_budget.py, test_capacity_home_news.py).
"""

from __future__ import annotations

from typing import Any

from bench.flows import WIN_IN_7, Browser, new_pair, play_game
from tests.store.test_capacity_budget import (  # noqa: F401 (clock and recorded are fixtures)
    BUDGETS,
    clock,
    recorded,
)
from tictactoe.store.lists import LIST_LENGTH

MORE_GAMES = LIST_LENGTH + 2  # more than one list's worth: the link shows


def test_more_reads_what_a_home_page_reads_with_longer_pages(recorded: Any) -> None:  # noqa: F811
    app, recorder = recorded
    host, opponent = new_pair(app)
    for _ in range(MORE_GAMES):
        play_game(host, opponent, WIN_IN_7)
    host.invite(opponent.name)  # a game in the lists that is read from the table too
    me = Browser(app.test_client(), host.name)
    me.log_in()
    answers = {}
    for query in ("", "?more=1"):
        recorder.reset()
        response = me.client.get(f"/api/games{query}", headers={"Accept": "application/json"})
        assert response.status_code == 200
        answers[query] = response.get_json()
        used = recorder.snapshot()["by_type"]
        assert set(used) == {"home"}, used
        home, budget = used["home"], BUDGETS["home"]
        assert home["calls"] <= budget.calls and home["rcu"] <= budget.rcu, (query, home)
        assert home["wcu"] == 0
    assert len(answers[""]["finished"]) == LIST_LENGTH
    assert len(answers["?more=1"]["finished"]) == MORE_GAMES
    assert answers["?more=1"]["finished"][:LIST_LENGTH] == answers[""]["finished"]
