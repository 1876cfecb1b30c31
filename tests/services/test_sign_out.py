"""Signing out ends the session on the server: a copy of its cookie stops within a minute.

A copy of the cookie stands for a stolen one (the same bytes in another browser). Time is the
session code's own clock, moved along by the test (no sleeping), as in test_accounts.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.test_accounts import DAY, Clock, log_in, signed_in
from tests.support.players import ApiPlayer
from tictactoe.services.accounts import RECHECK_SECONDS
from tictactoe.store import Users
from tictactoe.store.users import MAX_SIGNED_OUT
from tictactoe.web import auth


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth, "clock", fake)
    return fake


def copy_of(app: Any, device: ApiPlayer) -> ApiPlayer:
    """Another browser holding the same session cookie as `device`."""
    thief = ApiPlayer(app.test_client(), device.name)
    thief.client.set_cookie("session", device.client.get_cookie("session").value)
    thief.refresh_csrf()
    return thief


def log_out(device: ApiPlayer) -> None:
    assert device.call("POST", "/api/logout").status_code == 204
    assert not signed_in(device)


def test_a_copied_cookie_stops_within_a_minute_of_signing_out(
    app: Any, player: Any, clock: Clock
) -> None:
    phone = player()
    laptop = log_in(app, phone.name)
    thief = copy_of(app, laptop)
    assert signed_in(thief)
    log_out(laptop)

    clock.advance(RECHECK_SECONDS - 1)
    assert signed_in(thief)  # not yet checked: sessions are re-checked once a minute
    clock.advance(2)
    assert not signed_in(thief)
    assert signed_in(phone)  # the player's other sessions go on
    assert signed_in(log_in(app, phone.name))  # and signing in again works


def test_a_copied_cookie_cannot_do_anything_sensitive_after_signing_out(
    app: Any, player: Any, clock: Clock
) -> None:
    ada = player()
    thief = copy_of(app, ada)
    log_out(ada)
    assert thief.call("DELETE", "/api/me/avatar").status_code == 401  # read strongly, at once


def test_the_sign_out_form_ends_the_session_on_the_server(
    app: Any, player: Any, clock: Clock
) -> None:
    phone = player()
    laptop = log_in(app, phone.name)
    thief = copy_of(app, laptop)
    out = laptop.client.post("/logout", data={"csrf_token": laptop.token})
    assert out.status_code == 303 and not signed_in(laptop)
    clock.advance(RECHECK_SECONDS + 1)
    assert not signed_in(thief)
    assert signed_in(phone)


def test_a_session_from_before_ids_gets_one_at_its_next_check(
    app: Any, player: Any, clock: Clock
) -> None:
    ada = player()
    with ada.client.session_transaction() as session:
        session.pop("sid")
    clock.advance(RECHECK_SECONDS + 1)
    assert signed_in(ada)  # checked, and given an id
    thief = copy_of(app, ada)
    log_out(ada)
    clock.advance(RECHECK_SECONDS + 1)
    assert not signed_in(thief)


def test_old_sign_outs_are_dropped_and_the_recent_ones_still_hold(
    app: Any, player: Any, clock: Clock
) -> None:
    phone = player()
    early = [log_in(app, phone.name) for _ in range(MAX_SIGNED_OUT // 2)]
    for device in early:
        log_out(device)
    clock.advance(8 * DAY)
    assert signed_in(phone)
    late = [log_in(app, phone.name) for _ in range(MAX_SIGNED_OUT // 2)]
    thieves = [copy_of(app, device) for device in late]
    for device in late:
        log_out(device)
    clock.advance(7 * DAY)  # the early ones are past any copy's lifetime; the late ones not
    assert signed_in(phone)
    log_out(log_in(app, phone.name))  # one more than fits, counting the early ones
    clock.advance(RECHECK_SECONDS + 1)
    assert signed_in(phone)  # the early entries made room: nothing else was ended
    assert not any(signed_in(thief) for thief in thieves)


def test_more_live_sign_outs_than_fit_end_every_session_instead(
    app: Any, player: Any, clock: Clock
) -> None:
    phone = player()
    devices = [log_in(app, phone.name) for _ in range(MAX_SIGNED_OUT + 1)]
    thieves = [copy_of(app, device) for device in devices]
    for device in devices:
        log_out(device)
    clock.advance(RECHECK_SECONDS + 1)
    assert not any(signed_in(thief) for thief in thieves)  # no copy comes back to life
    assert not signed_in(phone)  # the safe side: every session ended
    assert signed_in(log_in(app, phone.name))


def test_signing_out_a_deleted_account_writes_nothing(backend: Any) -> None:
    users: Users = backend.users
    ada = users.create("ada", "hash", "ada")
    users.delete(ada)
    users.sign_out("ada", ada.created_at, "abc", 2_000_000_000, 1_800_000_000)
    users.sign_out("nobody", "", "abc", 2_000_000_000, 1_800_000_000)
    table = backend.settings.users_table
    for key in ("ada", "nobody"):
        found = backend.dynamodb.get_item(TableName=table, Key={"UserKey": {"S": key}})
        assert "Item" not in found


def test_sign_outs_are_kept_pruned_and_bounded_in_the_store(backend: Any) -> None:
    users: Users = backend.users
    ada = users.create("ada", "hash", "ada")
    now = 1_800_000_000
    users.sign_out("ada", ada.created_at, "old", now + 10, now)
    users.sign_out("ada", ada.created_at, "new", now + 1000, now)
    assert users.get("ada", consistent=True).signed_out == {"old", "new"}  # type: ignore[union-attr]
    users.sign_out("ada", ada.created_at, "newer", now + 1000, now + 100)  # "old" is past
    after = users.get("ada", consistent=True)
    assert after is not None and after.signed_out == {"new", "newer"} and after.epoch == 0
    for n in range(MAX_SIGNED_OUT - 1):
        users.sign_out("ada", ada.created_at, f"s{n}", now + 1000, now + 100)
    full = users.get("ada", consistent=True)
    assert full is not None and full.epoch == 1 and full.signed_out == set()
