"""The game page a form post's redirect opens costs no read, on DynamoDB Local: it shows the
game the post's write answered with (web/landing.py); a reload reads it as before.

Before issue 27 (item 2) that page was BUDGETS["page"]: one eventually consistent read, 0.5
RCU, after every invite, accept, challenge, rematch, resign, game against the computer, Play
now pairing and move without JavaScript; in the browser flow twice per game (the host's page
after inviting, the guest's after accepting).
"""

from __future__ import annotations

from typing import Any

from bench.flows import WIN_IN_7, Browser, play_game
from tests.store.test_capacity_budget import (  # noqa: F401 (clock and recorded are fixtures)
    BUDGETS,
    Budget,
    clock,
    play_step_by_step,
    players_with_history,
    recorded,
    within,
)

LANDING = Budget(calls=0, rcu=0, wcu=0)  # the page a form post's redirect opens
NOTHING = {"calls": 0, "rcu": 0.0, "wcu": 0.0}


def test_the_pages_after_an_invite_and_an_accept_read_nothing(recorded: Any) -> None:  # noqa: F811
    app, recorder = recorded
    steps = dict(play_step_by_step(app, recorder, WIN_IN_7))
    # The posts' own budgets are test_capacity_budget.py's; here, the page each one opens.
    for step, post in (("host invites", "create"), ("opponent accepts", "accept")):
        used = steps[step]["by_type"]
        assert post in used and within(used.get("page", NOTHING), LANDING), (step, used)


def test_a_reload_of_that_page_reads_the_game(recorded: Any) -> None:  # noqa: F811
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    browser = Browser(app.test_client(), host)
    browser.log_in()
    recorder.reset()
    location, _ = browser.post_form("/games", opponent=opponent)
    assert "page" not in recorder.snapshot()["by_type"]
    recorder.reset()
    browser.load(location)
    used = recorder.snapshot()["by_type"]["page"]
    assert used["calls"] == 1 and within(used, BUDGETS["page"])


def test_every_form_post_that_writes_a_game_opens_its_page_for_no_read(
    recorded: Any,  # noqa: F811
) -> None:
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    x, o = Browser(app.test_client(), opponent), Browser(app.test_client(), host)
    final = play_game(o, x, WIN_IN_7)  # x won
    finished = f"/games/{final['id']}"
    read = []

    def lands(browser: Browser, action: str, **fields: str) -> str:
        """Post the form and open the page it leads to; note what that page read."""
        recorder.reset()
        location, _ = browser.post_form(action, **fields)
        read.append((action, recorder.snapshot()["by_type"].get("page", NOTHING)))
        return location

    lands(o, f"{finished}/rematch")  # the loser asks
    rematch = lands(x, f"{finished}/rematch").split("?")[0]  # the winner accepts
    lands(x, f"{rematch}/resign")
    lands(x, "/challenges")
    lands(x, "/computer-games", level="easy", first="me")
    lands(o, "/quick-play")  # waits: to the wait's page, which shows no game
    lands(x, "/quick-play")  # paired at once: to the game
    recorder.reset()
    paired = o.client.get("/quick-play")  # the wait's page looks again: to the game
    o.load(paired.headers["Location"])
    read.append(("/quick-play, paired", recorder.snapshot()["by_type"].get("page", NOTHING)))
    assert all(within(used, LANDING) for _, used in read), read
