"""[flask].force_https and the session key's rotation, through Flask's test client.

Behind the load balancer the app learns the scheme from X-Forwarded-Proto, believed through
ProxyFix because [flask].trusted_proxies is set, as in beanstalk.toml.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import make_settings
from tests.support.openapi import CheckedClient
from tests.support.players import ApiPlayer
from tictactoe import create_app
from tictactoe.config import Settings
from tictactoe.web.layers.https import HSTS

HTTP = {"X-Forwarded-Proto": "http"}
HTTPS = {"X-Forwarded-Proto": "https"}
OLD_KEY = "o" * 40
NEW_KEY = "n" * 40


def build(**changes: Any) -> Any:
    app = create_app(replace(make_settings(), **{"trusted_proxies": 2, **changes}))
    app.config["TESTING"] = True
    # The redirect happens before any route, for every path: it is no API response of its
    # own (openapi.json says so in its description), so this client does not check it.
    app.test_client_class = FlaskClient
    return app


@pytest.fixture
def secure_app(moto: None) -> Any:
    return build(force_https=True)


@pytest.mark.parametrize(
    ("method", "path", "location"),
    [
        ("GET", "/", "https://game.example/"),
        ("GET", "/games/abcdefgh123?x=1&y=%20", "https://game.example/games/abcdefgh123?x=1&y=%20"),
        ("POST", "/api/login", "https://game.example/api/login"),  # before the CSRF check
        ("GET", "/no/such/page", "https://game.example/no/such/page"),
    ],
)
def test_plain_http_is_sent_to_https_with_a_301(
    secure_app: Any, method: str, path: str, location: str
) -> None:
    response = secure_app.test_client().open(
        path, method=method, headers={**HTTP, "Host": "game.example"}
    )
    assert response.status_code == 301
    assert response.headers["Location"] == location
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_the_plain_http_port_is_dropped_from_the_redirect(secure_app: Any) -> None:
    response = secure_app.test_client().get("/", headers={**HTTP, "Host": "game.example:80"})
    assert response.headers["Location"] == "https://game.example/"


def test_the_health_check_is_answered_over_plain_http(secure_app: Any) -> None:
    response = secure_app.test_client().get("/health", headers=HTTP)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/", "/health", "/api/me", "/static/style.css"])
def test_https_responses_carry_hsts(secure_app: Any, path: str) -> None:
    with secure_app.test_client().get(path, headers=HTTPS) as response:
        assert response.status_code in (200, 401)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_without_a_trusted_proxy_a_forged_header_does_not_count(
    moto: None, caplog: pytest.LogCaptureFixture
) -> None:
    # No proxies in front: X-Forwarded-Proto comes from the client and is ignored, so the
    # request is plain HTTP whatever it claims. Start-up says what that means behind a proxy.
    with caplog.at_level(logging.WARNING):
        app = build(force_https=True, trusted_proxies=0)
    assert "force_https is on and trusted_proxies is 0" in caplog.text
    response = app.test_client().get("/", headers=HTTPS)
    assert response.status_code == 301


def test_session_cookies_are_secure_over_https(secure_app: Any) -> None:
    secure_app.test_client_class = CheckedClient
    client = secure_app.test_client()
    # Over HTTPS, Flask-WTF also checks the Referer against the host (WTF_CSRF_SSL_STRICT).
    headers = {**HTTPS, "Host": "game.example", "Referer": "https://game.example/"}
    token = client.get("/api/csrf", headers=headers).get_json()["csrf_token"]
    response = client.post(
        "/api/register",
        json={"username": "secure", "password": "correct horse battery"},
        headers={**headers, "X-CSRFToken": token},
    )
    assert response.status_code == 201, response.get_json()
    (cookie,) = response.headers.getlist("Set-Cookie")
    assert "; Secure" in cookie and "; HttpOnly" in cookie


def test_session_cookies_are_secure_even_when_a_request_slips_through_on_http(
    secure_app: Any,
) -> None:
    # /health is never redirected; were a cookie ever set over plain HTTP, it is Secure still.
    with secure_app.test_request_context("/health", headers=HTTP):
        assert secure_app.session_interface.get_cookie_secure(secure_app)


def test_without_force_https_nothing_changes(app: Any) -> None:
    response = app.test_client().get("/", headers=HTTP)
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    with app.test_request_context("/"):
        assert not app.session_interface.get_cookie_secure(app)


def rotated(settings: Settings) -> Any:
    """The same tables and bucket, restarted with a new key and the old one as a fallback."""
    app = create_app(replace(settings, secret_key=NEW_KEY, previous_secret_keys=(OLD_KEY,)))
    app.config["TESTING"] = True
    app.test_client_class = CheckedClient
    return app


def move_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def test_rotating_the_key_signs_nobody_out(moto: None) -> None:
    settings = replace(make_settings(), secret_key=OLD_KEY)
    before = create_app(settings)
    before.test_client_class = CheckedClient
    alice = ApiPlayer(before.test_client(), "alice").register()
    token_from_old_page = alice.token  # what an open page or game.js holds

    after = rotated(settings).test_client()
    move_cookie(alice.client, after)
    alice.client = after
    assert alice.call("GET", "/api/me").get_json()["username"] == "alice"
    # A form or script still holding a token signed with the old key keeps working.
    bob = ApiPlayer(create_app(settings).test_client(), "bob").register()
    assert alice.invite(bob)["status"] == "PENDING"
    assert alice.token == token_from_old_page


def test_a_cookie_signed_with_an_unknown_key_is_refused(moto: None) -> None:
    settings = replace(make_settings(), secret_key="x" * 40)
    stranger = ApiPlayer(create_app(settings).test_client(), "mallory").register()
    app = rotated(settings)  # x... is neither the current key nor a previous one
    client = app.test_client()
    move_cookie(stranger.client, client)
    stranger.client = client
    assert stranger.call("GET", "/api/me").status_code == 401
