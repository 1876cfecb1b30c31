"""Signing out's capacity budget, on DynamoDB Local: one write, and the checks read no more.

Signing out (POST /api/logout, or the page's form) lists the session's id on the player's
Users item (Users.sign_out), so a copy of the cookie stops at its next check. Before, it wrote
nothing. The write returns the list it made, which costs no read unit. Measured (DynamoDB
Local's units, see test_capacity_budget.py), for players with a history and a picture:

- a sign-out: 1 call, 0 RCU, 1 WCU, the list full (MAX_SIGNED_OUT entries, about 30 bytes
  each) included: the item stays under 1 KB.
- a sign-out that finds an entry past its time (once per entry, 14 days after it was
  written) or more live entries than fit: a second write, guarded by the list's version,
  that drops the old entries or advances the session epoch: 2 calls, 0 RCU, 2 WCU.
- the session check, once a minute per session: still the one eventually consistent read of
  the item it was (0.5 RCU), the list being part of what it reads.
"""

from __future__ import annotations

from typing import Any

from bench.flows import WIN_IN_7
from tests.services.test_accounts import DAY, Clock, log_in
from tests.store.test_capacity_budget import (  # noqa: F401 (clock and recorded are fixtures)
    SESSION_CHECK,
    Budget,
    clock,
    players_with_history,
    recorded,
    within,
)
from tests.support.players import ApiPlayer
from tictactoe.services.accounts import RECHECK_SECONDS
from tictactoe.store.users import MAX_SIGNED_OUT

SIGN_OUT = Budget(calls=1, rcu=0, wcu=1)
SIGN_OUT_PRUNING = Budget(calls=2, rcu=0, wcu=2)


def sign_out(recorder: Any, device: ApiPlayer) -> dict[str, float]:
    """Sign `device` out; return what the request used."""
    recorder.reset()
    assert device.call("POST", "/api/logout").status_code == 204
    used: dict[str, float] = recorder.snapshot()["total"]
    return used


def test_signing_out_is_one_write_and_the_checks_read_no_more(
    recorded: Any,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    app, recorder = recorded
    name, _ = players_with_history(app, WIN_IN_7, pictures=True)
    staying = log_in(app, name)
    devices = [log_in(app, name) for _ in range(MAX_SIGNED_OUT)]
    used = [sign_out(recorder, device) for device in devices]
    over = [f"sign-out {n}: {u}" for n, u in enumerate(used, 1) if not within(u, SIGN_OUT)]
    assert not over, "\n".join(over)

    clock.advance(RECHECK_SECONDS + 1)
    recorder.reset()
    assert staying.call("GET", "/api/csrf").status_code == 200  # a request that reads nothing
    check = recorder.snapshot()["by_target"]["Users"]
    assert within(check, SESSION_CHECK), check  # the full list included


def test_a_sign_out_that_prunes_or_overflows_writes_once_more(
    recorded: Any,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    app, recorder = recorded
    name, _ = players_with_history(app, WIN_IN_7, pictures=True)
    sign_out(recorder, log_in(app, name))
    clock.advance(15 * DAY)  # that entry is past any copy's lifetime
    pruning = sign_out(recorder, log_in(app, name))
    assert within(pruning, SIGN_OUT_PRUNING) and pruning["calls"] == 2, pruning
    devices = [log_in(app, name) for _ in range(MAX_SIGNED_OUT)]
    used = [sign_out(recorder, device) for device in devices]
    assert all(within(u, SIGN_OUT) for u in used[:-1]), used
    assert within(used[-1], SIGN_OUT_PRUNING) and used[-1]["calls"] == 2, used[-1]
