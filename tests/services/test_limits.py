"""Logins and sign-ups are throttled: 429 with Retry-After, nothing changed, no oracle, and the
real player still gets in from another address. Plus the client's address behind proxies and
the bound on password hashing. On moto; tests/services/test_limits_shared.py runs the shared
parts on DynamoDB Local too."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import make_settings, unique
from tests.support.openapi import CheckedClient
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe import create_app
from tictactoe.services.hashing import Hasher
from tictactoe.services.limits import FAILING_CLIENTS, Memory, client_key, failed_once_more
from tictactoe.store.limits import Failures

ATTACKER, PLAYER_HOME = "203.0.113.7", "198.51.100.20"
WRONG = "not the password"


def limited_app(**limits: int) -> Any:
    """The app on moto (the caller's mock) with the given limits switched on."""
    app = create_app(replace(make_settings(), **limits))
    app.config["TESTING"] = True
    app.test_client_class = CheckedClient
    return app


def from_address(app: Any, address: str, name: str | None = None) -> ApiPlayer:
    """A browser at `address` (a player called `name`, not yet signed in)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    browser = ApiPlayer(client, name or unique("p")[:20])
    browser.refresh_csrf()
    return browser


def log_in(browser: ApiPlayer, name: str, password: str) -> Any:
    return browser.call("POST", "/api/login", {"username": name, "password": password})


def sign_up(browser: ApiPlayer, name: str, **headers: str) -> Any:
    form = {"username": name, "password": PASSWORD}
    response = browser.call("POST", "/api/register", form, headers=headers)
    browser.refresh_csrf()  # a sign-up starts a new session
    return response


def assert_throttled(response: Any) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "too many" in response.get_json()["error"].lower()


def signed_in(browser: ApiPlayer) -> bool:
    return bool(browser.call("GET", "/api/me").status_code == 200)


def test_failed_logins_per_account_and_client(moto: None) -> None:
    app = limited_app(failed_logins_per_account=2)
    victim = from_address(app, PLAYER_HOME)
    assert sign_up(victim, victim.name).status_code == 201
    attacker = from_address(app, ATTACKER)
    for _ in range(2):
        assert log_in(attacker, victim.name, WRONG).status_code == 401
    assert_throttled(log_in(attacker, victim.name, WRONG))
    # No oracle: the right password is refused too, and signs nobody in.
    refused = log_in(attacker, victim.name.upper(), PASSWORD)
    assert_throttled(refused)
    assert 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert not signed_in(attacker)
    # The real player, from their own address, still gets in.
    assert log_in(from_address(app, PLAYER_HOME), victim.name, PASSWORD).status_code == 200
    # The attacker's throttle is on this account only.
    other = from_address(app, PLAYER_HOME)
    assert sign_up(other, other.name).status_code == 201
    assert log_in(attacker, other.name, PASSWORD).status_code == 200


def test_a_refusal_needs_no_password_hash(moto: None) -> None:
    app = limited_app(failed_logins_per_account=1)
    victim = from_address(app, PLAYER_HOME)
    assert sign_up(victim, victim.name).status_code == 201
    attacker = from_address(app, ATTACKER)
    assert log_in(attacker, victim.name, WRONG).status_code == 401
    fresh = fresh_process(app)  # another worker: it shares DynamoDB, not memory
    with hashing_blocked(app), hashing_blocked(fresh):  # a hash would answer 503 now
        assert_throttled(log_in(attacker, victim.name, PASSWORD))  # from this process's memory
        assert_throttled(log_in(from_address(fresh, ATTACKER), victim.name, PASSWORD))  # the item


def test_login_attempts_per_client(moto: None) -> None:
    app = limited_app(login_attempts_per_client=3)
    real = from_address(app, PLAYER_HOME)
    assert sign_up(real, real.name).status_code == 201
    attacker = from_address(app, ATTACKER)
    for _ in range(3):  # any accounts, known or not
        assert log_in(attacker, unique("guess")[:20], WRONG).status_code == 401
    assert_throttled(log_in(attacker, real.name, PASSWORD))
    assert not signed_in(attacker)
    assert log_in(from_address(app, PLAYER_HOME), real.name, PASSWORD).status_code == 200


def test_signups_per_client(moto: None) -> None:
    app = limited_app(signups_per_client=2)
    browser = from_address(app, ATTACKER)
    for _ in range(2):
        assert sign_up(browser, unique("s")[:20]).status_code == 201
    name = unique("late")[:20]
    refused = sign_up(browser, name)
    assert_throttled(refused)
    assert int(refused.headers["Retry-After"]) <= 3600
    # Nothing was created: the name is still free, for someone at another address.
    assert sign_up(from_address(app, PLAYER_HOME), name).status_code == 201


def test_the_forms_show_the_refusal_as_a_page(moto: None) -> None:
    app = limited_app(failed_logins_per_account=1, signups_per_client=1)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ATTACKER

    def submit(action: str, name: str, password: str) -> Any:
        page = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, "the welcome page has a form"
        form = {"csrf_token": token.group(1), "username": name, "password": password}
        return client.post(action, data=form, headers={"Accept": "text/html"})

    name = unique("f")[:20]
    assert submit("/signup", name, PASSWORD).status_code == 303
    client.delete_cookie("session")  # signed out
    assert submit("/login", name, WRONG).status_code == 401
    for refused in (
        submit("/signup", unique("g")[:20], PASSWORD),
        submit("/login", name, PASSWORD),
    ):
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.mimetype == "text/html" and "Too many" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("proxies", "first", "second", "same_client"),
    [
        (0, "1.1.1.1", "2.2.2.2", True),  # no proxy: the header is the client's own words
        (1, "1.1.1.1", "2.2.2.2", False),  # our one proxy appended the real address
        (1, "6.6.6.6, 1.1.1.1", "7.7.7.7, 1.1.1.1", True),  # what the client wrote is ignored
        (2, "1.1.1.1, 10.0.0.1", "2.2.2.2, 10.0.0.1", False),  # load balancer, then nginx
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.1", "7.7.7.7, 1.1.1.1, 10.0.0.1", True),
    ],
)
def test_the_client_is_whom_our_proxies_saw(
    moto: None, proxies: int, first: str, second: str, same_client: bool
) -> None:
    app = limited_app(signups_per_client=1, trusted_proxies=proxies)
    browser = from_address(app, "127.0.0.1")
    for forwarded, expected in ((first, 201), (second, 429 if same_client else 201)):
        response = sign_up(browser, unique("x")[:20], **{"X-Forwarded-For": forwarded})
        assert response.status_code == expected


def test_hashing_is_bounded_then_busy(moto: None) -> None:
    app = limited_app()
    player = from_address(app, PLAYER_HOME)
    assert sign_up(player, player.name).status_code == 201
    with hashing_blocked(app):
        busy = log_in(from_address(app, PLAYER_HOME), player.name, PASSWORD)
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        assert "busy" in busy.get_json()["error"]
        assert sign_up(from_address(app, ATTACKER), unique("b")[:20]).status_code == 503
    assert log_in(from_address(app, PLAYER_HOME), player.name, PASSWORD).status_code == 200


class hashing_blocked:  # noqa: N801 (used as a context manager, like a function)
    """Occupy the app's only hashing slot with work that waits on an event. With a place to
    wait in, the next login reads its player and is refused for want of a slot (the wait is
    0); with none, it is refused before the read."""

    def __init__(self, app: Any, waiting: int = 1) -> None:
        self.limits = app.extensions["limits"]
        self.limits.hasher = Hasher(at_once=1, waiting=waiting, wait=0)
        self.started, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.limits.hasher.run, args=(self._hold,))

    def _hold(self) -> None:
        self.started.set()
        self.release.wait()

    def __enter__(self) -> None:
        self.thread.start()
        assert self.started.wait(30)

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.thread.join()


def fresh_process(app: Any) -> Any:
    """Another worker on the same tables: shares DynamoDB, not memory."""
    other = create_app(app.extensions["tictactoe"].settings)
    other.config["TESTING"] = True
    other.test_client_class = CheckedClient
    return other


def test_pure_parts_of_the_limits() -> None:
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key(None) == client_key("not an address") == "unknown"
    failures = Failures({f"10.0.0.{i}": (1000 + i, 3) for i in range(FAILING_CLIENTS)}, 4)
    later = failed_once_more(failures, "192.0.2.1", 1100)
    assert len(later.by_client) == FAILING_CLIENTS and later.version == 4
    assert "10.0.0.0" not in later.by_client and later.by_client["192.0.2.1"] == (1100, 1)
    again = failed_once_more(later, "192.0.2.1", 1200)
    assert again.by_client["192.0.2.1"] == (1100, 2)
    # 15 minutes after its first failure a client starts afresh; the others have expired.
    assert failed_once_more(again, "192.0.2.1", 1100 + 900).by_client == {"192.0.2.1": (2000, 1)}
    memory = Memory(size=3)
    for i in range(5):
        memory.refuse((str(i),), 10.0)
    assert [memory.refused_until((str(i),), 5.0) for i in range(5)] == [None, None, 10, 10, 10]
    assert memory.refused_until(("4",), 10.0) is None


def test_a_known_flood_is_refused_by_the_client_our_proxy_saw(moto: None) -> None:
    app = limited_app(login_attempts_per_client=1, trusted_proxies=1)
    browser = from_address(app, "10.0.0.1")  # our proxy
    flooder, player = {"X-Forwarded-For": "1.1.1.1"}, {"X-Forwarded-For": "2.2.2.2"}

    def attempt(headers: dict[str, str], password: str = WRONG) -> Any:
        form = {"username": "nobody", "password": password}
        return browser.call("POST", "/api/login", form, headers=headers)

    assert attempt(flooder).status_code == 401
    for _ in range(3):  # refused before the app proper (web/throttle.py), as the view would
        assert_throttled(attempt(flooder))
    assert attempt(player).status_code == 401  # another client behind the same proxy


def test_a_signed_in_session_cannot_guess_its_password_faster_than_a_login(moto: None) -> None:
    """Password change and deletion check the current password through the login's gate."""
    app = limited_app(failed_logins_per_account=2)
    thief = from_address(app, ATTACKER)
    assert sign_up(thief, thief.name).status_code == 201  # as if the cookie were stolen
    guess = {"current_password": WRONG, "new_password": "a much Stronger passphrase 42"}
    for _ in range(2):
        assert thief.call("POST", "/api/me/password", guess).status_code == 403
    assert_throttled(thief.call("DELETE", "/api/me", {"password": PASSWORD}))
    assert signed_in(thief)  # refused, so nothing was deleted
    owner = from_address(app, PLAYER_HOME)
    assert log_in(owner, thief.name, PASSWORD).status_code == 200  # the owner is not locked out
