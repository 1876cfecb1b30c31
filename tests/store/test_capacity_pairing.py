"""Play now's capacity budget, on DynamoDB Local: a wait and its pairing cost no more than an
invitation's create and accept.

Measured (DynamoDB Local's units, as the Recorder adds them up; see test_capacity_budget.py):

- The wait (the first press): the slot read strongly (1 RCU), the player's room counted (a
  COUNT query on the host index for the cap of 20; DynamoDB Local bills 0 when it finds none,
  AWS at least 0.5), the pointer and the slot put (1 WCU each): 4 calls, 1.0 RCU, 2 WCU.
- The pairing (the second press): the slot read (1 RCU), the room counted, the game put in
  progress (1 WCU, plus 1 for each index entry: both players' lists), the slot cleared
  (1 WCU): 4 calls, 1.0 RCU, 4 WCU; 5 since the game also enters the live index (issue 28,
  store/live.py), as an accept's game does.
Together: 8 calls, 2.0 RCU, 6 WCU, cost 32; an invitation's create (6 calls, 2.0 RCU, 4 WCU)
and accept (1, 0, 5) cost 7 calls, 2.0 RCU, 9 WCU, cost 47. The one call more is the second
player's room count (an accept counts none: an invitation's cap is its host's), which AWS bills
0.5 RCU; the three fewer WCU are the pair lock and the invitation's index entries that an
accept rewrites, which a game that starts in progress never had.

A look while waiting (GET /api/quick-play) is one eventually consistent read of the slot: what
a poll of a game costs. Pressing again from another tab reads the slot and the pointer, and
writes nothing.
"""

from __future__ import annotations

from typing import Any

from tests.store.test_capacity_budget import (  # noqa: F401 (clock and recorded are fixtures)
    BUDGETS,
    Budget,
    clock,
    recorded,
    within,
)
from tests.support.players import ApiPlayer

PAIRING_URL = "/api/quick-play"
PAIRING_BUDGETS = {
    "wait": Budget(calls=4, rcu=1.0, wcu=2),
    "pair": Budget(calls=4, rcu=1.0, wcu=5),  # issue 28: + the live index's put
    "look": BUDGETS["poll"],  # 1 call, 0.5 RCU
    "again": Budget(calls=2, rcu=2.0, wcu=0),
}
# An invitation's create and accept, the same players' way to a game.
INVITATION = Budget(
    calls=BUDGETS["create"].calls + BUDGETS["accept"].calls,
    rcu=BUDGETS["create"].rcu + BUDGETS["accept"].rcu,
    wcu=BUDGETS["create"].wcu + BUDGETS["accept"].wcu,
)


def test_a_wait_and_its_pairing_cost_no_more_than_an_invitation_and_its_accept(
    recorded: Any,  # noqa: F811
) -> None:
    app, recorder = recorded
    walt, pete, ann = (ApiPlayer(app.test_client(), n).register() for n in ("walt", "pete", "ann"))
    used: dict[str, dict[str, float]] = {}

    def measure(step: str, who: ApiPlayer, method: str, status: int) -> None:
        recorder.reset()
        response = who.call(method, PAIRING_URL)
        assert response.status_code == status, response.get_json()
        used[step] = recorder.snapshot()["total"]

    measure("wait", walt, "POST", 202)
    measure("look", walt, "GET", 200)
    measure("again", walt, "POST", 202)
    measure("pair", pete, "POST", 201)
    measure("next wait", ann, "POST", 202)  # the slot the pairing cleared is taken as new
    over = [
        f"{step}: used {usage}, budget {PAIRING_BUDGETS[step]}"
        for step, usage in used.items()
        if step in PAIRING_BUDGETS and not within(usage, PAIRING_BUDGETS[step])
    ]
    assert not over, "\n".join(over)
    assert within(used["next wait"], PAIRING_BUDGETS["wait"])
    assert used["look"]["wcu"] == used["again"]["wcu"] == 0
    both = {k: used["wait"][k] + used["pair"][k] for k in ("calls", "rcu", "wcu", "cost")}
    invitation_cost = 5 * INVITATION.wcu + INVITATION.rcu
    assert both["rcu"] <= INVITATION.rcu and both["wcu"] <= INVITATION.wcu
    assert both["cost"] <= invitation_cost
    assert both["calls"] <= INVITATION.calls + 1  # the second player's room count (above)
