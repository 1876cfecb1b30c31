"""Maintenance mode: TICTACTOE_MAINTENANCE=read-only refuses every change and writes nothing.

The game is played on an app started normally; then the app starts again with the
environment property set, as Elastic Beanstalk restarts it, and the same players come back
with their cookies.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.conftest import make_settings
from tests.support.openapi import CheckedClient
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe import create_app
from tictactoe.config import Settings
from tictactoe.services.backend import build
from tictactoe.web.api import openapi_document
from tictactoe.web.layers import maintenance

MESSAGE = "Moving to a new region: back at 14:00 UTC."
STILL_ALLOWED = {("post", "/api/logout")}  # writes nothing: it forgets the cookie


def read_only_app(settings: Settings, monkeypatch: pytest.MonkeyPatch, message: str = "") -> Any:
    monkeypatch.setenv(maintenance.MODE_ENV, "read-only")
    if message:
        monkeypatch.setenv(maintenance.MESSAGE_ENV, message)
    app = create_app(settings)
    app.config["TESTING"] = True
    app.test_client_class = CheckedClient
    monkeypatch.delenv(maintenance.MODE_ENV)  # read once, at start-up
    return app


def come_back(app: Any, before: ApiPlayer) -> ApiPlayer:
    """The same browser, cookies and all, on the restarted app."""
    client = app.test_client()
    client.set_cookie("session", before.client.get_cookie("session").value)
    again = ApiPlayer(client, before.name)
    again.refresh_csrf()
    return again


def everything(settings: Settings) -> dict[str, Any]:
    """Every item of the three tables, and every object of the bucket."""
    b = build(settings)
    tables = (settings.games_table, settings.users_table, settings.avatars_table)
    items = {
        t: sorted(map(repr, b.dynamodb.scan(TableName=t, ConsistentRead=True)["Items"]))
        for t in tables
    }
    listed = b.s3.list_objects_v2(Bucket=settings.bucket).get("Contents", [])
    return {"items": items, "objects": sorted((o["Key"], o["ETag"]) for o in listed)}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(out, "PNG")
    return out.getvalue()


def state_changing_operations() -> list[tuple[str, str]]:
    doc = openapi_document()
    return sorted(
        (method, path)
        for path, ops in doc["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    )


@pytest.fixture
def played(settings: Settings) -> tuple[Settings, ApiPlayer, ApiPlayer, dict[str, Any]]:
    """Two players with a game in progress, on an app started without maintenance."""
    app = create_app(settings)
    app.config["TESTING"] = True
    alice = ApiPlayer(app.test_client(), "alice").register()
    bob = ApiPlayer(app.test_client(), "bobby").register()
    game = bob.accept(alice.invite(bob))
    return settings, alice, bob, game


def test_every_change_is_refused_and_nothing_is_written(
    played: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, alice, bob, game = played
    before = everything(settings)
    app = read_only_app(settings, monkeypatch, MESSAGE)
    alice, bob = come_back(app, alice), come_back(app, bob)
    stranger = ApiPlayer(app.test_client(), "carol")
    stranger.refresh_csrf()
    refused = []
    for method, path in state_changing_operations():
        if (method, path) in STILL_ALLOWED:
            continue
        url = path.replace("{game_id}", game["id"])
        for who in (alice, bob, stranger):
            if method == "put":  # the picture upload, a multipart form
                response = who.call(
                    "PUT",
                    url,
                    None,
                    data={"image": (io.BytesIO(png()), "a.png")},
                    content_type="multipart/form-data",
                )
            else:
                body = {
                    "username": who.name,
                    "password": PASSWORD,
                    "opponent": "alice",
                    "cell": 0,
                    "current_password": PASSWORD,
                    "new_password": PASSWORD + "!",
                }
                response = who.call(method.upper(), url, body)
            assert response.status_code == 503, (method, path, response.get_json())
            assert response.get_json() == {"error": MESSAGE}
            assert int(response.headers["Retry-After"]) == maintenance.RETRY_AFTER_SECONDS
            refused.append((method, path))
    assert {
        ("post", "/api/games/{game_id}/moves"),
        ("post", "/api/login"),
        ("post", "/api/register"),
        ("put", "/api/me/avatar"),
    } <= set(refused)
    assert everything(settings) == before


def test_reads_pages_and_health_keep_working_with_a_banner(
    played: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, alice, _, game = played
    app = read_only_app(settings, monkeypatch, MESSAGE)
    before = everything(settings)
    alice = come_back(app, alice)
    assert alice.call("GET", "/api/games").status_code == 200
    seen = alice.call("GET", f"/api/games/{game['id']}")
    assert seen.status_code == 200 and seen.get_json()["status"] == "IN_PROGRESS"
    assert alice.call("GET", "/api/me").status_code == 200
    for page in ("/", f"/games/{game['id']}", "/profile"):
        shown = alice.client.get(page)
        assert shown.status_code == 200 and MESSAGE in shown.get_data(as_text=True), page
    welcome = app.test_client().get("/")  # signed out: the banner too
    assert welcome.status_code == 200 and MESSAGE in welcome.get_data(as_text=True)
    assert app.test_client().get("/health").status_code == 200
    assert alice.call("POST", "/api/logout").status_code == 204  # only the cookie changes
    assert everything(settings) == before


def test_a_form_gets_a_page_saying_why(played: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _, bob, game = played
    app = read_only_app(settings, monkeypatch)
    bob = come_back(app, bob)
    page = bob.client.get(f"/games/{game['id']}").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = bob.client.post(f"/games/{game['id']}/move", data={"csrf_token": token, "cell": 4})
    assert response.status_code == 503 and response.headers["Retry-After"]
    text = response.get_data(as_text=True)
    assert maintenance.DEFAULT_MESSAGE in text and "Try again in a moment" in text


@pytest.mark.parametrize(
    ("mode", "read_only"),
    [
        ("read-only", True),
        ("READ-ONLY ", True),
        ("readonly", True),
        ("yes", True),
        ("", False),
        ("off", False),
        ("false", False),
        ("0", False),
    ],
)
def test_the_mode_is_off_or_read_only_and_a_typo_errs_on_the_safe_side(
    mode: str, read_only: bool
) -> None:
    state = maintenance.from_environment({maintenance.MODE_ENV: mode})
    assert state.read_only is read_only and state.message == maintenance.DEFAULT_MESSAGE


def test_the_banner_text_is_one_short_line() -> None:
    state = maintenance.from_environment(
        {maintenance.MODE_ENV: "read-only", maintenance.MESSAGE_ENV: "Back\n soon " + "x" * 900}
    )
    assert state.message.startswith("Back soon x") and len(state.message) == 500


def test_without_maintenance_there_is_no_banner(moto: None) -> None:
    app = create_app(make_settings())
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'class="banner"' not in page


def test_every_state_changing_api_operation_documents_the_503() -> None:
    """A new route cannot forget that maintenance (and a busy database) answers 503."""
    doc = openapi_document()
    missing = [
        (m, p)
        for m, p in state_changing_operations()
        if (m, p) not in STILL_ALLOWED and "503" not in doc["paths"][p][m]["responses"]
    ]
    assert not missing
