"""Unrated games over the API and on the game page: a pair's fourth game in a day moves nothing.

Every API response is checked against the OpenAPI document (the `app` fixture's client), so
these also prove the document and the JSON agree on `rated`.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

from tests.support.players import ApiPlayer
from tictactoe.rules.ratings import PAIR_WINDOW_SECONDS, RATED_PER_PAIR

TOP_ROW = [(0, "x"), (3, "o"), (1, "x"), (4, "o"), (2, "x")]  # X (the invited) wins
UNRATED = "Not rated: you have played each other 3 times today."


def game_of(host: ApiPlayer, opponent: ApiPlayer) -> tuple[dict[str, Any], dict[str, Any]]:
    """Play a whole game, the opponent winning; return it as accepted and as finished."""
    accepted = opponent.accept(host.invite(opponent))
    last = None
    for cell, mark in TOP_ROW:
        last = (opponent if mark == "x" else host).move(accepted, cell)
        assert last.status_code == 200, last.get_json()
    assert last is not None
    return accepted, last.get_json()


def standing(who: ApiPlayer) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What anyone sees of the player's results, and the leaderboard."""
    mine = who.call("GET", f"/api/players/{who.name}").get_json()
    return mine, who.call("GET", "/api/leaderboard").get_json()["players"]


def status_line(who: ApiPlayer, game: dict[str, Any]) -> str:
    """What the game page's status line says (the page carries every sentence for its script)."""
    page = who.client.get(f"/games/{game['id']}").get_data(as_text=True)
    found = re.search(r'<p id="status"[^>]*>([^<]*)</p>', page)
    assert found, "the game page has no status line"
    return html.unescape(found.group(1)).strip()


def test_the_fourth_game_of_a_pair_in_a_day_is_unrated(player: Any) -> None:
    host, opponent = player(), player()
    rated = [game_of(host, opponent) for _ in range(RATED_PER_PAIR)]
    assert [accepted["rated"] for accepted, _ in rated] == [None] * RATED_PER_PAIR
    assert [finished["rated"] for _, finished in rated] == [True] * RATED_PER_PAIR
    assert status_line(host, rated[-1][1]) == f"{opponent.name} won."
    before = standing(host), standing(opponent)

    accepted, finished = game_of(host, opponent)

    assert (accepted["rated"], finished["rated"]) == (None, False)
    assert (finished["status"], finished["winner"]) == ("FINISHED", opponent.name)
    again = host.call("GET", f"/api/games/{finished['id']}").get_json()
    assert again["rated"] is False
    assert (standing(host), standing(opponent)) == before  # no rating, count or ladder moved
    assert status_line(opponent, finished) == f"You won! {UNRATED}"
    assert status_line(host, finished) == f"{opponent.name} won. {UNRATED}"


def test_a_day_later_the_pair_plays_rated_again(app: Any, player: Any) -> None:
    host, opponent = player(), player()
    for _ in range(RATED_PER_PAIR + 1):
        game_of(host, opponent)
    wins = standing(opponent)[0]["wins"]
    later = time.time() + PAIR_WINDOW_SECONDS + 60
    app.extensions["tictactoe"].games.clock = lambda: later
    _, finished = game_of(host, opponent)
    assert finished["rated"] is True
    assert standing(opponent)[0]["wins"] == wins + 1
    assert status_line(host, finished) == f"{opponent.name} won."


def test_a_game_against_the_computer_says_it_is_unrated_from_the_start(player: Any) -> None:
    me = player()
    started = me.call("POST", "/api/computer-games", {"level": "easy"})
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["rated"] is False
    game = started.get_json()
    resigned = me.call("POST", f"/api/games/{game['id']}/resign")
    assert resigned.status_code == 200, resigned.get_json()
    assert resigned.get_json()["rated"] is False
    assert UNRATED not in status_line(me, game)  # not the pair's sentence: there is no pair
