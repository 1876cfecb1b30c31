"""[flask].public_origin: absolute links and the HTTPS redirect never name a client's Host.

Found by an external scan: with `Host: evil.example` the challenge link read
http://evil.example/games/<id> and the HTTPS redirect went to https://evil.example/....
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import make_settings
from tests.support.players import PASSWORD
from tictactoe import create_app

ORIGIN = "https://ttt.example.com"
HTTP = {"X-Forwarded-Proto": "http"}
HTTPS = {"X-Forwarded-Proto": "https"}
LINK = re.compile(r'class="share-link" value="([^"]+)"')


def build(**changes: Any) -> Any:
    app = create_app(replace(make_settings(), **{"trusted_proxies": 2, **changes}))
    app.config["TESTING"] = True
    app.test_client_class = FlaskClient  # a refused host is no API response of its own
    return app


def challenge_link(app: Any, host: str) -> str:
    """Sign up and open a challenge from the home page, reaching the app as `host`; return
    the challenge's link as the page shows it."""
    client, base = app.test_client(), f"http://{host}"

    def post(path: str, page: str, **fields: str) -> str:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page
        response = client.post(
            path,
            base_url=base,
            follow_redirects=True,
            data={"csrf_token": token.group(1), **fields},
        )
        return str(response.get_data(as_text=True))

    home = post(
        "/signup", client.get("/", base_url=base).get_data(True), username="chad", password=PASSWORD
    )
    found = LINK.search(post("/challenges", home))
    assert found, home
    return found.group(1)


def test_without_an_origin_links_follow_the_host_as_before(moto: None) -> None:
    app = build()
    assert challenge_link(app, "127.0.0.1:5000").startswith("http://127.0.0.1:5000/games/")


def test_the_challenge_link_is_on_the_public_origin(moto: None) -> None:
    app = build(public_origin=ORIGIN)  # reached over plain HTTP: the link is still https
    link = challenge_link(app, "TTT.example.com")
    assert re.fullmatch(r"https://ttt\.example\.com/games/[A-Za-z0-9_-]+", link), link


@pytest.mark.parametrize("force_https", [False, True])
@pytest.mark.parametrize("path", ["/", "/api/me", "/games/abcdefgh123", "/static/style.css"])
def test_a_request_for_another_host_is_refused(moto: None, path: str, force_https: bool) -> None:
    app = build(public_origin=ORIGIN, force_https=force_https)
    response = app.test_client().get(path, headers={**HTTP, "Host": "evil.example"})
    assert response.status_code == 400
    assert "Location" not in response.headers and "evil.example" not in response.get_data(True)


@pytest.mark.parametrize("host", ["ttt.example.com", "TTT.Example.com", "ttt.example.com:80"])
def test_the_public_host_is_served_whatever_its_case_or_port(moto: None, host: str) -> None:
    app = build(public_origin=ORIGIN)
    assert app.test_client().get("/", headers={**HTTPS, "Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["10.0.1.23:80", "10.0.1.23", "[fd00::5]:80", ""])
def test_the_load_balancers_health_check_still_reaches_health(moto: None, host: str) -> None:
    app = build(public_origin=ORIGIN, force_https=True)
    response = app.test_client().get("/health", headers={**HTTP, "Host": host})
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_the_https_redirect_goes_to_the_public_origin(moto: None) -> None:
    app = build(public_origin=ORIGIN, force_https=True)
    response = app.test_client().get(
        "/games/abcdefgh123?x=1", headers={**HTTP, "Host": "ttt.example.com:80"}
    )
    assert response.status_code == 301
    assert response.headers["Location"] == f"{ORIGIN}/games/abcdefgh123?x=1"


def test_an_error_page_offers_back_only_to_the_public_origin(moto: None) -> None:
    app = build(public_origin=ORIGIN)
    client = app.test_client()
    ours = client.get(
        "/no/such/page",
        headers={**HTTPS, "Host": "ttt.example.com", "Referer": f"{ORIGIN}/players/x"},
    )
    assert ours.status_code == 404 and f'href="{ORIGIN}/players/x"' in ours.get_data(True)
    theirs = client.get(
        "/no/such/page",
        headers={**HTTPS, "Host": "ttt.example.com", "Referer": "https://evil.example/"},
    )
    assert theirs.status_code == 404 and "evil.example" not in theirs.get_data(True)
