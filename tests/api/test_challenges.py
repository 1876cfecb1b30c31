"""POST /api/challenges, and taking a challenge with POST /api/games/<id>/accept.

Responses are checked against the OpenAPI document by the test client."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.players import PASSWORD, ApiPlayer
from tictactoe.store import MAX_SENT


def challenge(host: ApiPlayer) -> dict[str, Any]:
    response = host.call("POST", "/api/challenges")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def take(who: ApiPlayer, game: dict[str, Any]) -> Any:
    return who.call("POST", f"/api/games/{game['id']}/accept")


def lists_of(who: ApiPlayer) -> dict[str, list[str]]:
    return {k: [g["id"] for g in v] for k, v in who.call("GET", "/api/games").get_json().items()}


def test_a_challenge_is_an_open_game_in_its_hosts_sent_list(player: Any) -> None:
    host, someone = player(), player()
    game = challenge(host)
    assert (game["status"], game["host"], game["opponent"]) == ("PENDING", host.name, None)
    assert (game["x_player"], game["o_player"], game["opponent_avatar_url"]) == (
        None,
        host.name,
        None,
    )
    assert lists_of(host)["sent"] == [game["id"]]
    assert lists_of(someone) == {"invites": [], "sent": [], "in_progress": [], "finished": []}
    assert someone.call("GET", f"/api/games/{game['id']}").get_json() == game  # anyone sees it


def test_anyone_but_the_host_takes_it_plays_x_and_moves_first(player: Any) -> None:
    host, taker, late = player(), player(), player()
    game = challenge(host)
    response = take(taker, game)
    assert response.status_code == 200, response.get_json()
    started = response.get_json()
    assert (started["status"], started["opponent"]) == ("IN_PROGRESS", taker.name)
    assert started["x_player"] == started["turn"] == taker.name
    assert started["o_player"] == host.name and started["opponent_avatar_url"]
    assert lists_of(host)["in_progress"] == lists_of(taker)["in_progress"] == [game["id"]]
    assert lists_of(host)["sent"] == []

    refused = take(late, game)
    assert refused.status_code == 409 and refused.get_json() == {
        "error": "someone else took this challenge first"
    }
    assert take(taker, game).status_code == 409  # a repeated take changes nothing
    final = host.call("GET", f"/api/games/{game['id']}").get_json()
    assert (final["opponent"], final["turn"]) == (taker.name, taker.name)
    assert taker.move(started, 4).status_code == 200


def test_the_host_cannot_take_or_decline_their_own_challenge(player: Any) -> None:
    host, someone = player(), player()
    game = challenge(host)
    response = take(host, game)
    assert response.status_code == 403 and response.get_json() == {
        "error": "you cannot take your own challenge"
    }
    for who in (host, someone):  # no one was invited, so no one can decline it
        declined = who.call("POST", f"/api/games/{game['id']}/reject")
        assert declined.status_code == 403 and "no one was invited" in declined.get_json()["error"]
    assert lists_of(host)["sent"] == [game["id"]]


def test_the_host_withdraws_a_challenge_with_the_usual_cancel(player: Any) -> None:
    host, someone = player(), player()
    game = challenge(host)
    assert someone.call("POST", f"/api/games/{game['id']}/cancel").status_code == 403
    assert host.call("POST", f"/api/games/{game['id']}/cancel").status_code == 204
    assert lists_of(host)["sent"] == []
    assert take(someone, game).status_code == 404


def test_a_taken_challenge_cannot_be_withdrawn(player: Any) -> None:
    host, taker = player(), player()
    game = challenge(host)
    take(taker, game)
    assert host.call("POST", f"/api/games/{game['id']}/cancel").status_code == 409


def test_a_challenge_expires_like_an_invitation(app: Any, player: Any) -> None:
    host, someone = player(), player()
    game = challenge(host)
    games = app.extensions["tictactoe"].games
    later = games.clock() + games.expiry_seconds + 1
    games.clock = lambda: later
    assert lists_of(host)["sent"] == []
    response = take(someone, game)
    assert response.status_code == 409 and response.get_json() == {
        "error": "this challenge has expired"
    }
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["status"] == "PENDING"


@pytest.mark.parametrize("last", ["challenge", "invitation"])
def test_challenges_count_against_the_hosts_cap_of_twenty(player: Any, last: str) -> None:
    host, someone = player(), player()
    for _ in range(MAX_SENT):
        challenge(host)
    response = (
        host.call("POST", "/api/challenges")
        if last == "challenge"
        else host.call("POST", "/api/games", {"opponent": someone.name})
    )
    assert response.status_code == 429 and "20 open invitations" in response.get_json()["error"]
    assert len(lists_of(host)["sent"]) == 10  # the list shows the ten newest


def test_many_challenges_need_no_pair_lock(player: Any) -> None:
    host, friend = player(), player()
    invitation = host.invite(friend)
    first, second = challenge(host), challenge(host)
    assert take(friend, first).status_code == 200  # the pair's open invitation is no matter
    assert take(friend, second).status_code == 200
    assert friend.accept(invitation)["status"] == "IN_PROGRESS"


def test_deleting_the_hosts_account_deletes_their_challenge(player: Any) -> None:
    host, someone = player(), player()
    game = challenge(host)
    assert host.call("DELETE", "/api/me", {"password": PASSWORD}).status_code == 204
    assert take(someone, game).status_code == 404


def test_challenge_needs_a_signed_in_player_and_csrf(app: Any, player: Any) -> None:
    signed_out = ApiPlayer(app.test_client(), "nobody")
    signed_out.refresh_csrf()
    response = signed_out.call("POST", "/api/challenges")
    assert response.status_code == 401 and response.get_json() == {"error": "sign in first"}
    host = player()
    assert host.client.post("/api/challenges").status_code == 400  # no CSRF token
    assert lists_of(host)["sent"] == []
    game = challenge(host)
    assert signed_out.call("POST", f"/api/games/{game['id']}/accept").status_code == 401


def test_pages_show_a_challenge_without_an_opponent(player: Any) -> None:
    """The pages (built elsewhere) must at least not fail on a game with no opponent yet."""
    host, someone = player(), player()
    game = challenge(host)
    assert "Your open challenge" in host.client.get("/").get_data(as_text=True)
    for who in (host, someone):
        assert who.client.get(f"/games/{game['id']}").status_code == 200
