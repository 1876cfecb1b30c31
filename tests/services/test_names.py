"""Names and passwords: look-alike names are one name, weak passwords are refused with advice."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto import mock_aws
from werkzeug.security import generate_password_hash

from tests.conftest import make_settings, passthrough
from tests.pages.test_pages import Browser
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe.config import Settings
from tictactoe.rules.names import skeleton
from tictactoe.rules.passwords import password_problem
from tictactoe.services.backend import build
from tictactoe.store import Taken, TooSimilar, ensure_tables


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("alice", "aIice"),
        ("alice", "ALICE"),
        ("bob_x", "bob-x"),
        ("ooo", "0O0"),
        ("lil", "1I1"),
        ("Tom-01", "tom_ol"),
    ],
)
def test_look_alikes_share_a_skeleton(one: str, other: str) -> None:
    assert skeleton(one) == skeleton(other)


@pytest.mark.parametrize(("one", "other"), [("alice", "alicia"), ("bob", "rob"), ("abc", "abd")])
def test_different_names_have_different_skeletons(one: str, other: str) -> None:
    assert skeleton(one) != skeleton(other)


def sign_up(app: Any, name: str, password: str = PASSWORD) -> Any:
    client = ApiPlayer(app.test_client(), name)
    client.refresh_csrf()
    return client.call("POST", "/api/register", {"username": name, "password": password})


@pytest.mark.parametrize("look_alike", ["aIice", "a1ice", "ALlCE", "al1ce"])
def test_a_look_alike_of_an_existing_name_is_refused(app: Any, look_alike: str) -> None:
    assert sign_up(app, "alice").status_code == 201
    response = sign_up(app, look_alike)
    assert response.status_code == 409
    assert "too similar to an existing name" in response.get_json()["error"]


def test_the_same_name_in_other_letters_is_still_taken(app: Any) -> None:
    assert sign_up(app, "alice").status_code == 201
    assert sign_up(app, "Alice").get_json() == {"error": "the name Alice is taken"}


@pytest.mark.parametrize(
    ("password", "advice"),
    [
        ("password1", "This is a very common password."),
        ("qwertyuiop", "Add another word or two."),
        ("aaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess.'),
        ("short", "password must be 8 to 256 characters"),
        ("x" * 257, "password must be 8 to 256 characters"),
        ("Carol-in-2024", "must not be built from your username"),
    ],
)
def test_weak_passwords_are_refused_with_advice(app: Any, password: str, advice: str) -> None:
    response = sign_up(app, "carol", password)
    assert response.status_code == 400
    assert advice in response.get_json()["error"]
    assert sign_up(app, "carol").status_code == 201  # nothing was claimed by the refusal


def test_the_sign_up_page_shows_the_advice(app: Any) -> None:
    browser = Browser(app)
    browser.get("/")
    response = browser.submit("/signup", username="lily", password="password1")
    assert response.status_code == 400
    assert "This is a very common password." in browser.page
    response = browser.submit("/signup", username="lily", password=PASSWORD)
    assert response.status_code == 200
    other = Browser(app)
    other.get("/")
    assert other.submit("/signup", username="1i1y", password=PASSWORD).status_code == 409
    assert "too similar to an existing name" in other.page


def test_a_long_password_is_judged_quickly_by_its_start() -> None:
    # The estimator reads at most JUDGED characters, so 256 random ones cost what 64 do.
    assert password_problem("kT9#qLm2!vRx" * 21 + "abcd", "erin") is None


@pytest.fixture
def on_dynamodb_local(dynamodb_local_url: str) -> Iterator[Settings]:
    """Settings on the real DynamoDB Local only: moto's transactions are not thread-safe."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        yield make_settings(endpoint=dynamodb_local_url)


def test_two_people_racing_for_look_alike_names_cannot_both_get_one(
    on_dynamodb_local: Settings,
) -> None:
    settings = on_dynamodb_local
    backend = build(settings)
    ensure_tables(backend.dynamodb, settings)
    look_alikes = ["alice", "aIice", "a1ice", "ALICE", "al1ce", "AlIcE", "a1Ice", "alIce"]

    def claim(name: str) -> str:
        try:
            backend.users.create(name, "hash", skeleton(name))
        except TooSimilar:
            return "too similar"
        except Taken:
            return "taken"
        return "created"

    for suffix in ("", "x", "-1"):  # three races, each for a fresh name
        names = [name + suffix for name in look_alikes]
        with ThreadPoolExecutor(len(names)) as pool:
            outcomes = list(pool.map(claim, names))
        assert outcomes.count("created") == 1, outcomes
        winner = names[outcomes.index("created")]
        stored = [n for n in names if backend.users.get(n) is not None]
        assert {n.lower() for n in stored} == {winner.lower()}


def legacy_account(app: Any, name: str) -> None:
    """Store an account as sign-up did before look-alike claims (no SessionEpoch, no claim)."""
    b = app.extensions["tictactoe"]
    b.dynamodb.put_item(
        TableName=b.settings.users_table,
        Item={
            "UserKey": {"S": name.lower()},
            "Name": {"S": name},
            "PasswordHash": {"S": generate_password_hash(PASSWORD)},
            "CreatedAt": {"S": "2026-01-01T00:00:00.000000Z"},
        },
    )


def log_in(app: Any, name: str) -> int:
    client = ApiPlayer(app.test_client(), name)
    client.refresh_csrf()
    response = client.call("POST", "/api/login", {"username": name, "password": PASSWORD})
    return int(response.status_code)


def test_an_older_account_claims_its_look_alikes_when_it_next_signs_in(app: Any) -> None:
    legacy_account(app, "alice")
    assert log_in(app, "alice") == 200
    assert sign_up(app, "aIice").status_code == 409


def test_older_look_alike_pairs_both_keep_working(app: Any) -> None:
    legacy_account(app, "alice")
    legacy_account(app, "aIice")
    for _ in range(2):
        assert log_in(app, "aIice") == 200  # the first to sign in claims the skeleton
        assert log_in(app, "alice") == 200
    assert sign_up(app, "a1ice").status_code == 409
    b = app.extensions["tictactoe"]
    assert b.users.get("alice").skeleton == ""  # marked, so it is not tried at every sign-in
    assert b.users.get("aIice").skeleton == skeleton("alice")
