"""What the players issue's pages cost, on DynamoDB Local: each form post costs what its API
call does, and showing a page stays one read; the one exception is a finished game's page
once a rematch was asked for, which also reads that rematch, to say who asked and whether
it started."""

from __future__ import annotations

import re
from typing import Any

from bench.flows import WIN_IN_7, Browser, play_game
from tests.store.test_capacity_budget import (  # noqa: F401 (clock and recorded are fixtures)
    BUDGETS,
    REMATCH_BUDGETS,
    RESULTS,
    Budget,
    clock,
    players_with_history,
    recorded,
    within,
)
from tests.store.test_capacity_ratings import UNRATED_FINISH

# A finished game's page with a rematch: the game, then the rematch, both eventually
# consistent reads (0.5 RCU each). Without a rematch it is BUDGETS["page"]: the game alone.
PAGE_WITH_REMATCH = Budget(calls=2, rcu=1.0, wcu=0)
_GAME = re.compile(r"/games/([A-Za-z0-9_-]+)")


def test_the_pages_cost_what_the_api_does_and_show_for_one_read(recorded: Any) -> None:  # noqa: F811
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    x, o = Browser(app.test_client(), opponent), Browser(app.test_client(), host)
    final = play_game(o, x, WIN_IN_7)  # x won; o lost
    over = []

    def measure(kind: str, budget: Budget, action: Any) -> Any:
        recorder.reset()
        done = action()
        usage = recorder.snapshot()["by_type"].get(kind, {"calls": 0, "rcu": 0.0, "wcu": 0.0})
        if not within(usage, budget):
            over.append(f"{kind}: used {usage}, budget {budget}")
        return done

    finished = f"/games/{final['id']}"
    measure("page", BUDGETS["page"], lambda: o.load(finished))  # no rematch yet: one read
    location, _ = measure(
        "rematch", REMATCH_BUDGETS["ask"], lambda: o.post_form(f"{finished}/rematch")
    )
    page = measure("page", PAGE_WITH_REMATCH, lambda: x.load(finished))
    assert "wants a rematch" in page
    location, _ = measure(
        "rematch", REMATCH_BUDGETS["accept"], lambda: x.post_form(f"{finished}/rematch")
    )
    rematch = _GAME.search(location).group(0)  # type: ignore[union-attr]
    measure("page", BUDGETS["page"], lambda: x.load(f"{rematch}/resign"))  # the confirm step
    # The rematch is the pair's fourth game today, so it finishes unrated (one call more).
    measure("resign", UNRATED_FINISH, lambda: x.post_form(f"{rematch}/resign"))
    measure("challenge", REMATCH_BUDGETS["challenge"], lambda: o.post_form("/challenges"))
    measure("player", RESULTS["player"], lambda: o.load(f"/players/{x.name}"))
    measure("leaderboard", RESULTS["leaderboard"], lambda: o.load("/leaderboard"))
    assert not over, "\n".join(over)
