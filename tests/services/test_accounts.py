"""Sessions that can be revoked: password change, sign out everywhere, lifetimes.

Two clients signed in as one player stand for two devices. Time is the session code's own
clock, moved along by the test (no sleeping): a revoked session must keep working for at
most a minute on ordinary requests, and stop at once for sensitive ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.players import PASSWORD, ApiPlayer
from tictactoe.web import auth

NEW_PASSWORD = "velvet quarry lantern"
DAY = 24 * 3600


class Clock:
    """The session code's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth, "clock", fake)
    return fake


def log_in(app: Any, name: str, password: str = PASSWORD) -> ApiPlayer:
    """Sign in as `name` from another device (a client with cookies of its own)."""
    device = ApiPlayer(app.test_client(), name)
    device.refresh_csrf()
    response = device.call("POST", "/api/login", {"username": name, "password": password})
    assert response.status_code == 200, response.get_json()
    device.refresh_csrf()
    return device


def signed_in(device: ApiPlayer) -> bool:
    status = device.call("GET", "/api/me").status_code
    assert status in (200, 401)
    return status == 200


def change_password(device: ApiPlayer, current: str, new: str) -> Any:
    body = {"current_password": current, "new_password": new}
    return device.call("POST", "/api/me/password", body)


def test_a_password_change_signs_out_the_other_devices_within_a_minute(
    app: Any, player: Any, clock: Clock
) -> None:
    phone = player()
    laptop = log_in(app, phone.name)
    assert change_password(phone, PASSWORD, NEW_PASSWORD).status_code == 204

    clock.advance(59)
    assert signed_in(laptop)  # not yet checked: sessions are re-checked once a minute
    assert signed_in(phone)
    clock.advance(2)
    assert not signed_in(laptop)
    assert signed_in(phone)  # the device that changed it stays signed in
    laptop.refresh_csrf()
    assert laptop.call("GET", "/api/games").status_code == 401


def test_a_revoked_session_cannot_change_anything_sensitive_even_within_the_minute(
    app: Any, player: Any, clock: Clock
) -> None:
    phone = player()
    laptop = log_in(app, phone.name)
    assert change_password(phone, PASSWORD, NEW_PASSWORD).status_code == 204
    assert laptop.call("DELETE", "/api/me/avatar").status_code == 401
    assert not signed_in(laptop)  # and that ended the session too
    assert signed_in(log_in(app, phone.name, NEW_PASSWORD))


def test_the_new_password_signs_in_and_the_old_one_does_not(app: Any, player: Any) -> None:
    ada = player()
    assert change_password(ada, PASSWORD, NEW_PASSWORD).status_code == 204
    other = ApiPlayer(app.test_client(), ada.name)
    other.refresh_csrf()
    old = other.call("POST", "/api/login", {"username": ada.name, "password": PASSWORD})
    assert old.status_code == 401
    assert log_in(app, ada.name, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "status", "message"),
    [
        ("not my password", NEW_PASSWORD, 403, "wrong password"),
        (PASSWORD, "password1", 400, "very common password"),
        (PASSWORD, "short", 400, "8 to 256 characters"),
        (PASSWORD, "x" * 257, 400, "8 to 256 characters"),
        (None, NEW_PASSWORD, 400, "current password is required"),
    ],
)
def test_a_refused_password_change_changes_nothing(
    app: Any, player: Any, clock: Clock, current: Any, new: Any, status: int, message: str
) -> None:
    ada = player()
    laptop = log_in(app, ada.name)
    response = change_password(ada, current, new)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    clock.advance(61)
    assert signed_in(ada) and signed_in(laptop)
    assert log_in(app, ada.name, PASSWORD)


def test_a_new_password_built_from_the_name_is_refused(app: Any, player: Any) -> None:
    ada = player("adalovelace")
    response = change_password(ada, PASSWORD, "AdaLovelace-1815-engine")
    assert response.status_code == 400
    assert "built from your username" in response.get_json()["error"]


def test_sign_out_everywhere_signs_out_this_device_at_once_and_the_others_within_a_minute(
    app: Any, player: Any, clock: Clock
) -> None:
    phone = player()
    laptop = log_in(app, phone.name)
    assert phone.call("POST", "/api/me/sessions/revoke").status_code == 204
    assert not signed_in(phone)
    assert signed_in(laptop)
    clock.advance(60)
    assert not signed_in(laptop)
    assert log_in(app, phone.name)  # the password still works: signing in again is fine


def test_account_actions_need_a_player_and_csrf(app: Any, player: Any) -> None:
    stranger = ApiPlayer(app.test_client(), "nobody")
    stranger.refresh_csrf()
    assert stranger.call("POST", "/api/me/sessions/revoke").status_code == 401
    assert stranger.call("POST", "/api/me/password", {}).status_code == 401
    assert stranger.call("DELETE", "/api/me", {"password": PASSWORD}).status_code == 401
    ada = player()
    ada.token = ""
    assert ada.call("POST", "/api/me/sessions/revoke").status_code == 400
    ada.refresh_csrf()
    assert signed_in(ada)


def test_a_session_unused_for_14_days_has_expired(app: Any, player: Any, clock: Clock) -> None:
    ada = player()
    clock.advance(14 * DAY - 60)
    assert signed_in(ada)
    clock.advance(14 * DAY - 60)  # used once within each 14 days: still signed in
    assert signed_in(ada)
    clock.advance(14 * DAY + 1)
    assert not signed_in(ada)


def test_every_session_ends_30_days_after_sign_in_however_often_used(
    app: Any, player: Any, clock: Clock
) -> None:
    ada = player()
    for _ in range(30):
        clock.advance(DAY)
        assert signed_in(ada)
    clock.advance(61)
    assert not signed_in(ada)
    assert log_in(app, ada.name)  # signing in starts a new 30 days


def test_a_session_from_before_epochs_must_sign_in_again(app: Any, player: Any) -> None:
    ada = player()
    with ada.client.session_transaction() as session:
        for key in ("account", "epoch", "since", "checked"):
            session.pop(key)
    assert not signed_in(ada)


def test_pages_send_a_revoked_session_to_sign_in(app: Any, player: Any, clock: Clock) -> None:
    phone = player()
    laptop = log_in(app, phone.name)
    assert laptop.client.get("/profile").status_code == 200
    assert phone.call("POST", "/api/me/sessions/revoke").status_code == 204
    clock.advance(61)
    response = laptop.client.get("/profile")  # sign in, then back to the profile
    assert response.status_code == 303 and response.headers["Location"] == "/?next=/profile"
    assert "Sign in" in laptop.client.get("/").get_data(as_text=True)


def test_the_profile_forms_change_the_password_and_sign_out_everywhere(
    app: Any, player: Any, clock: Clock
) -> None:
    ada = player()
    laptop = log_in(app, ada.name)
    page = ada.client.get("/profile").get_data(as_text=True)
    assert "Change password" in page and "Sign out everywhere" in page

    def post(action: str, **fields: str) -> Any:
        return ada.client.post(action, data={"csrf_token": ada.token, **fields})

    differ = post(
        "/profile/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD + "!",
    )
    assert differ.status_code == 400 and "the two new passwords differ" in differ.get_data(True)
    weak = post(
        "/profile/password",
        current_password=PASSWORD,
        new_password="password1",
        new_password_again="password1",
    )
    assert weak.status_code == 400 and "This is a very common password." in weak.get_data(True)
    done = post(
        "/profile/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD,
    )
    assert done.status_code == 303
    assert "Your password is changed" in ada.client.get(done.headers["Location"]).get_data(True)
    clock.advance(61)
    assert not signed_in(laptop) and signed_in(ada)

    assert post("/profile/sessions/revoke").status_code == 400  # the box is not ticked
    assert signed_in(ada)
    out = post("/profile/sessions/revoke", confirm="yes")
    assert out.status_code == 303 and out.headers["Location"] == "/?done=signed-out"
    assert not signed_in(ada)
