"""Races against the real DynamoDB Local: both players asking for a rematch at once, and many
players taking one open challenge at once. Threads meet at a barrier, then fire together."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.players import ApiPlayer, signed_in

WIN = [(0, "x"), (3, "o"), (1, "x"), (4, "o"), (2, "x")]  # X (the invited player) wins


def all_at_once(calls: list[Callable[[], Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Run every call in its own thread, released together; return (status, body) of each."""
    answers: list[tuple[int, dict[str, Any]]] = []
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> None:
        start.wait()
        response = call()
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == len(calls), "a request did not finish"
    return answers


@pytest.mark.parametrize("round_", range(3))
def test_both_players_asking_for_a_rematch_at_once_get_one_game(
    local_app: Any, round_: int
) -> None:
    tag = f"m{round_}{random.randrange(10**6)}"
    host, opponent = (ApiPlayer(local_app.test_client(), tag + n).register() for n in "ho")
    game = opponent.accept(host.invite(opponent))
    for cell, mark in WIN:
        assert (opponent if mark == "x" else host).move(game, cell).status_code == 200
    # Each player presses the button in two tabs at once.
    tabs = [signed_in(local_app, p.name) for p in (host, opponent, host, opponent)]
    path = f"/api/games/{game['id']}/rematch"
    answers = all_at_once([lambda t=t: t.call("POST", path) for t in tabs])

    assert sorted(status for status, _ in answers) == [200, 200, 200, 201], answers
    ids = {body["id"] for _, body in answers}
    assert len(ids) == 1, answers  # one game, whoever won the race
    rematch = ids.pop()
    assert host.call("GET", f"/api/games/{game['id']}").get_json()["rematch"] == rematch
    final = host.call("GET", f"/api/games/{rematch}").get_json()
    # Both players asked, so whoever created it, the other's request accepted it.
    assert final["status"] == "IN_PROGRESS"
    assert final["x_player"] == final["turn"] == host.name  # the old O player moves first
    for p in (host, opponent):
        lists = p.call("GET", "/api/games").get_json()
        assert [g["id"] for g in lists["in_progress"]] == [rematch]
        assert lists["invites"] == lists["sent"] == []


@pytest.mark.parametrize("round_", range(2))
def test_many_players_taking_one_challenge_one_wins_the_rest_get_409(
    local_app: Any, round_: int
) -> None:
    tag = f"c{round_}{random.randrange(10**6)}"
    host = ApiPlayer(local_app.test_client(), tag + "host").register()
    takers = [ApiPlayer(local_app.test_client(), f"{tag}t{i}").register() for i in range(6)]
    game = host.call("POST", "/api/challenges").get_json()
    path = f"/api/games/{game['id']}/accept"
    # The host pressing Join on their own link at the same moment changes nothing either.
    answers = all_at_once([lambda t=t: t.call("POST", path) for t in [*takers, host]])

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 403] + [409] * 5, answers
    winner = next(body["opponent"] for status, body in answers if status == 200)
    final = host.call("GET", f"/api/games/{game['id']}").get_json()
    assert (final["status"], final["opponent"], final["turn"]) == ("IN_PROGRESS", winner, winner)
    assert [g["id"] for g in host.call("GET", "/api/games").get_json()["in_progress"]] == [
        game["id"]
    ]
    for taker in takers:
        playing = taker.call("GET", "/api/games").get_json()["in_progress"]
        assert [g["id"] for g in playing] == ([game["id"]] if taker.name == winner else [])
