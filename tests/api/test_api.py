"""The JSON API with two players' sessions, every failure row, CSRF; responses checked
against the OpenAPI document by the test client."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from tests.support.openapi import CheckedClient
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe import create_app
from tictactoe.store import MAX_SENT

WIN = [(0, "x"), (3, "o"), (1, "x"), (4, "o"), (2, "x")]  # X takes the top row
TIE = [(0, "x"), (1, "o"), (2, "x"), (4, "o"), (3, "x"), (5, "o"), (7, "x"), (6, "o"), (8, "x")]


@pytest.fixture
def pair(player: Any) -> tuple[ApiPlayer, ApiPlayer, dict[str, Any]]:
    """A host (plays O) who invited an opponent (plays X, moves first), accepted."""
    host, opponent = player(), player()
    game = opponent.accept(host.invite(opponent))
    return host, opponent, game


def play_out(host: ApiPlayer, opponent: ApiPlayer, game: dict[str, Any], moves: list) -> Any:
    response = None
    for cell, mark in moves:
        response = (opponent if mark == "x" else host).move(game, cell)
        assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_two_players_play_to_a_win(player: Any) -> None:
    host, opponent = player(), player()
    game = host.invite(opponent)
    assert (game["status"], game["x_player"], game["o_player"]) == (
        "PENDING",
        opponent.name,
        host.name,
    )
    assert [g["id"] for g in opponent.call("GET", "/api/games").get_json()["invites"]] == [
        game["id"]
    ]
    assert [g["id"] for g in host.call("GET", "/api/games").get_json()["sent"]] == [game["id"]]

    started = opponent.accept(game)
    assert (started["status"], started["turn"]) == ("IN_PROGRESS", opponent.name)
    assert [g["id"] for g in host.call("GET", "/api/games").get_json()["in_progress"]] == [
        game["id"]
    ]

    final = play_out(host, opponent, game, WIN)
    assert final["status"] == "FINISHED" and final["winner"] == opponent.name
    assert final["board"] == ["X", "X", "X", "O", "O", "", "", "", ""] and final["turn"] is None
    seen_by_host = host.call("GET", f"/api/games/{game['id']}").get_json()
    assert seen_by_host == final
    for who in (host, opponent):
        lists = who.call("GET", "/api/games").get_json()
        assert [g["winner"] for g in lists["finished"]] == [opponent.name]
        assert lists["in_progress"] == lists["invites"] == []


def test_two_players_play_to_a_tie(pair: Any) -> None:
    host, opponent, game = pair
    final = play_out(host, opponent, game, TIE)
    assert final["status"] == "FINISHED" and final["winner"] is None
    assert "" not in final["board"]
    assert host.move(game, 0).status_code == 409  # nothing after the end


def test_the_loser_cannot_move_after_the_winning_move(pair: Any) -> None:
    host, opponent, game = pair
    play_out(host, opponent, game, WIN)
    response = host.move(game, 8)
    assert response.status_code == 409 and response.get_json() == {"error": "this game is over"}


def test_rejected_invitation_disappears(player: Any) -> None:
    host, opponent = player(), player()
    game = host.invite(opponent)
    assert opponent.call("POST", f"/api/games/{game['id']}/reject").status_code == 204
    assert opponent.call("GET", "/api/games").get_json()["invites"] == []
    assert host.call("GET", f"/api/games/{game['id']}").status_code == 404


def test_polling_with_the_etag_answers_304_until_the_game_changes(pair: Any) -> None:
    host, opponent, game = pair
    first = host.call("GET", f"/api/games/{game['id']}")
    etag = first.headers["ETag"]
    assert (
        host.call("GET", f"/api/games/{game['id']}", headers={"If-None-Match": etag}).status_code
        == 304
    )
    opponent.move(game, 4)
    changed = host.call("GET", f"/api/games/{game['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["board"][4] == "X"
    assert changed.headers["ETag"] != etag


def test_a_move_with_the_seen_state_needs_no_read_and_a_stale_one_still_works(pair: Any) -> None:
    host, opponent, game = pair
    state = opponent.call("GET", f"/api/games/{game['id']}").headers["ETag"]
    moved = (
        opponent.move(
            game,
            4,
        )
        if False
        else opponent.call(
            "POST", f"/api/games/{game['id']}/moves", {"cell": 4}, headers={"X-Game-State": state}
        )
    )
    assert moved.status_code == 200
    # The host sends the state from before X moved: stale, but O's move is still legal.
    late = host.call(
        "POST", f"/api/games/{game['id']}/moves", {"cell": 0}, headers={"X-Game-State": state}
    )
    assert late.status_code == 200 and late.get_json()["board"][:5] == ["O", "", "", "", "X"]


def test_a_forged_state_cannot_corrupt_the_board(pair: Any) -> None:
    host, opponent, game = pair
    forged = '"1-XX-OO----"'  # claims X already has two in a row
    response = opponent.call(
        "POST", f"/api/games/{game['id']}/moves", {"cell": 2}, headers={"X-Game-State": forged}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["board"] == ["", "", "X", "", "", "", "", "", ""] and body["winner"] is None


def test_a_repeated_move_request_is_answered_with_the_game_not_an_error(pair: Any) -> None:
    host, opponent, game = pair
    state = opponent.call("GET", f"/api/games/{game['id']}").headers["ETag"]
    for _ in range(2):  # e.g. a retry after a timeout whose first try did land
        again = opponent.call(
            "POST", f"/api/games/{game['id']}/moves", {"cell": 4}, headers={"X-Game-State": state}
        )
        assert again.status_code == 200 and again.get_json()["board"].count("X") == 1


# -- every failure row of the API table -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"username": "ab", "password": PASSWORD}, 400, "3-20 letters"),
        ({"username": "bad name!", "password": PASSWORD}, 400, "3-20 letters"),
        ({"username": "goodname", "password": "short"}, 400, "password must be"),
        ({"username": "goodname"}, 400, "password must be"),
        ({"username": 5, "password": PASSWORD}, 400, "username must be"),
        (["not", "an", "object"], 400, "JSON object"),
    ],
)
def test_register_refuses_bad_input(app: Any, body: Any, status: int, message: str) -> None:
    client = ApiPlayer(app.test_client(), "unused")
    client.refresh_csrf()
    response = client.call("POST", "/api/register", body)
    assert response.status_code == status and message in response.get_json()["error"]


def test_register_refuses_a_taken_name_in_any_case(app: Any, player: Any) -> None:
    first = player("Casey")
    other = ApiPlayer(app.test_client(), "CASEY")
    other.refresh_csrf()
    response = other.call("POST", "/api/register", {"username": "cASEY", "password": PASSWORD})
    assert response.status_code == 409
    assert other.call(
        "POST", "/api/login", {"username": "casey", "password": PASSWORD}
    ).get_json() == {"username": first.name}


def test_register_refuses_malformed_json(app: Any) -> None:
    client = ApiPlayer(app.test_client(), "unused")
    client.refresh_csrf()
    response = client.client.post(
        "/api/register",
        data="{not json",
        content_type="application/json",
        headers={"X-CSRFToken": client.token},
    )
    assert (
        response.status_code == 400 and response.get_json()["error"] == "the body is not valid JSON"
    )


def test_login_failures(app: Any, player: Any) -> None:
    known = player()
    client = ApiPlayer(app.test_client(), "x")
    client.refresh_csrf()
    assert client.call("POST", "/api/login", {"username": known.name}).status_code == 400
    wrong = client.call(
        "POST", "/api/login", {"username": known.name, "password": "wrong-password"}
    )
    unknown = client.call("POST", "/api/login", {"username": "nobody-here", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json() == {"error": "wrong username or password"}
    assert client.call("GET", "/api/me").status_code == 401


def test_login_rotates_the_session_and_logout_ends_it(app: Any, player: Any) -> None:
    known = player()
    client = ApiPlayer(app.test_client(), known.name)
    client.refresh_csrf()
    before = client.client.get_cookie("session").value
    assert (
        client.call(
            "POST", "/api/login", {"username": known.name, "password": PASSWORD}
        ).status_code
        == 200
    )
    assert client.client.get_cookie("session").value != before
    assert client.call("GET", "/api/me").get_json() == {"username": known.name, "avatar_url": None}
    client.refresh_csrf()
    assert client.call("POST", "/api/logout").status_code == 204
    assert client.call("GET", "/api/me").status_code == 401


@pytest.mark.parametrize(
    ("opponent", "status"), [("", 400), ("a b", 400), (None, 400), ("nobody-at-all", 404)]
)
def test_invite_failures(player: Any, opponent: Any, status: int) -> None:
    response = player().call("POST", "/api/games", {"opponent": opponent})
    assert response.status_code == status


def test_inviting_yourself_is_refused(player: Any) -> None:
    me = player()
    response = me.call("POST", "/api/games", {"opponent": me.name.upper()})
    assert response.status_code == 400 and response.get_json() == {
        "error": "you cannot invite yourself"
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/me"),
        ("GET", "/api/games"),
        ("POST", "/api/games"),
        ("GET", "/api/games/abcdefghijkl"),
        ("POST", "/api/games/abcdefghijkl/accept"),
        ("POST", "/api/games/abcdefghijkl/reject"),
        ("POST", "/api/games/abcdefghijkl/cancel"),
        ("POST", "/api/games/abcdefghijkl/moves"),
    ],
)
def test_signed_out_requests_get_401(app: Any, method: str, path: str) -> None:
    client = ApiPlayer(app.test_client(), "x")
    client.refresh_csrf()
    response = client.call(
        method, path, {"opponent": "someone", "cell": 1} if method == "POST" else None
    )
    assert response.status_code == 401 and response.get_json() == {"error": "sign in first"}


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_only_the_invited_player_answers_and_only_once(player: Any, action: str) -> None:
    host, opponent, stranger = player(), player(), player()
    game = host.invite(opponent)
    for who in (host, stranger):
        assert who.call("POST", f"/api/games/{game['id']}/{action}").status_code == 403
    opponent.accept(game)
    assert opponent.call("POST", f"/api/games/{game['id']}/{action}").status_code == 409
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["status"] == "IN_PROGRESS"


@pytest.mark.parametrize(
    "path",
    [
        "/api/games/{}",
        "/api/games/{}/accept",
        "/api/games/{}/reject",
        "/api/games/{}/cancel",
        "/api/games/{}/moves",
    ],
)
@pytest.mark.parametrize("game_id", ["abcdefghijklmnop", "x", "../../etc", "a" * 40])
def test_unknown_games_are_404(player: Any, path: str, game_id: str) -> None:
    me = player()
    method = "GET" if path.endswith("{}") else "POST"
    response = me.call(method, path.format(game_id), {"cell": 0})
    assert response.status_code == 404 and "error" in response.get_json()


@pytest.mark.parametrize("cell", [-1, 9, "4", 1.5, None, True])
def test_bad_cells_are_400_and_change_nothing(pair: Any, cell: Any) -> None:
    host, opponent, game = pair
    response = opponent.move(game, cell)
    assert response.status_code == 400 and "cell must be" in response.get_json()["error"]
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["board"] == [""] * 9


def test_move_failures(player: Any, pair: Any) -> None:
    host, opponent, game = pair
    stranger = player()
    assert stranger.move(game, 0).status_code == 403
    not_your_turn = host.move(game, 0)
    assert not_your_turn.status_code == 409 and not_your_turn.get_json() == {
        "error": "it is not your turn"
    }
    opponent.move(game, 4)
    taken = host.move(game, 4)
    assert taken.status_code == 409 and taken.get_json() == {"error": "that cell is already taken"}
    missing = opponent.call("POST", f"/api/games/{game['id']}/moves", {})
    assert missing.status_code == 400


def test_no_moves_before_the_invitation_is_accepted(player: Any) -> None:
    host, opponent = player(), player()
    game = host.invite(opponent)
    response = opponent.move(game, 0)
    assert response.status_code == 409 and response.get_json() == {
        "error": "this game has not started"
    }


# -- CSRF, limits, cookies ------------------------------------------------------------------


def test_state_changes_without_the_csrf_header_fail_and_change_nothing(app: Any, pair: Any) -> None:
    host, opponent, game = pair
    response = opponent.client.post(f"/api/games/{game['id']}/moves", json={"cell": 4})
    assert response.status_code == 400 and "CSRF" in response.get_json()["error"]
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["board"] == [""] * 9
    fresh = app.test_client()
    fresh.get("/api/csrf")
    signup = fresh.post(
        "/api/register",
        json={"username": "nocsrf", "password": PASSWORD},
        headers={"X-CSRFToken": "forged"},
    )
    assert signup.status_code == 400
    client = ApiPlayer(app.test_client(), "nocsrf")
    client.refresh_csrf()
    assert (
        client.call("POST", "/api/login", {"username": "nocsrf", "password": PASSWORD}).status_code
        == 401
    )


def test_huge_bodies_are_refused(pair: Any) -> None:
    host, opponent, game = pair
    response = opponent.call(
        "POST", f"/api/games/{game['id']}/moves", {"cell": 4, "pad": "x" * 100_000}
    )
    assert response.status_code == 413
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["board"] == [""] * 9


def test_session_cookie_flags_follow_the_load_balancers_scheme(app: Any) -> None:
    app = create_app(replace(app.extensions["tictactoe"].settings, trusted_proxies=1))
    app.test_client_class = CheckedClient
    client = app.test_client()
    token = client.get("/api/csrf").get_json()["csrf_token"]
    plain = client.post(
        "/api/register",
        json={"username": "cookies1", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    headers = {"X-Forwarded-Proto": "https"}
    token = secure.get("/api/csrf", headers=headers).get_json()["csrf_token"]
    over_https = secure.post(
        "/api/register",
        json={"username": "cookies2", "password": PASSWORD},
        headers={**headers, "X-CSRFToken": token, "Referer": "https://localhost/"},
    )
    assert over_https.status_code == 201
    assert "Secure" in over_https.headers["Set-Cookie"]


def test_openapi_document_is_served_and_lists_every_route(app: Any) -> None:
    doc = app.test_client().get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule == "/health"
    }
    assert routes <= set(doc["paths"])


def lists_of(who: ApiPlayer) -> dict[str, list[str]]:
    return {k: [g["id"] for g in v] for k, v in who.call("GET", "/api/games").get_json().items()}


def test_a_second_invitation_of_a_pair_either_way_is_409_naming_the_open_one(player: Any) -> None:
    host, opponent = player(), player()
    game = host.invite(opponent)
    for who, other in ((host, opponent), (opponent, host)):
        response = who.call("POST", "/api/games", {"opponent": other.name.upper()})
        assert response.status_code == 409
        assert response.get_json()["id"] == game["id"] and response.get_json()["error"]
    assert lists_of(host)["sent"] == lists_of(opponent)["invites"] == [game["id"]]
    assert lists_of(host)["invites"] == lists_of(opponent)["sent"] == []


def test_the_twenty_first_open_invitation_is_429(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    games = app.extensions["tictactoe"].games
    for i in range(MAX_SENT):
        games.create(host.name, f"ghost{i}")
    response = host.call("POST", "/api/games", {"opponent": opponent.name})
    assert response.status_code == 429 and "20 open invitations" in response.get_json()["error"]
    assert lists_of(opponent)["invites"] == []
    assert opponent.invite(host)["host"] == opponent.name  # the cap is on sending only


def test_the_host_withdraws_an_unanswered_invitation(player: Any) -> None:
    host, opponent, stranger = player(), player(), player()
    game = host.invite(opponent)
    for who in (opponent, stranger):
        response = who.call("POST", f"/api/games/{game['id']}/cancel")
        assert (
            response.status_code == 403
            and "only the player who sent" in response.get_json()["error"]
        )
    assert host.call("POST", f"/api/games/{game['id']}/cancel").status_code == 204
    assert lists_of(opponent)["invites"] == lists_of(host)["sent"] == []
    assert opponent.call("POST", f"/api/games/{game['id']}/accept").status_code == 404
    assert host.call("POST", f"/api/games/{game['id']}/cancel").status_code == 404
    again = host.invite(opponent)  # withdrawing freed the pair
    opponent.accept(again)
    answered = host.call("POST", f"/api/games/{again['id']}/cancel")
    assert answered.status_code == 409 and answered.get_json() == {
        "error": "this invitation has already been answered"
    }
    assert host.call("GET", f"/api/games/{again['id']}").get_json()["status"] == "IN_PROGRESS"


def test_an_expired_invitation_is_unlisted_and_accepting_it_is_409(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    game = host.invite(opponent)
    games = app.extensions["tictactoe"].games
    later = games.clock() + app.extensions["tictactoe"].settings.invitation_expiry_seconds + 1
    games.clock = lambda: later
    assert lists_of(opponent)["invites"] == lists_of(host)["sent"] == []
    response = opponent.call("POST", f"/api/games/{game['id']}/accept")
    assert response.status_code == 409 and response.get_json() == {
        "error": "this invitation has expired"
    }
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["status"] == "PENDING"
    assert opponent.invite(host)["status"] == "PENDING"  # the pair is free again
