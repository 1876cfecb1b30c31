"""Play now under races, on the real DynamoDB Local: two app instances on the same tables,
threads pressing at once (many players; one player's tabs; a cancel against a pairing).

A client retries a 503 ("many players pressed at once; try again") as the page does.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.conftest import make_settings, passthrough, unique
from tests.support.players import ApiPlayer, signed_in
from tictactoe import create_app
from tictactoe.store.pairing import POINTER

PAIRING_URL = "/api/quick-play"
RETRIES = 20


@pytest.fixture
def instances(dynamodb_local_url: str) -> Iterator[list[Any]]:
    """Two instances of the app (two create_app) on one set of tables in DynamoDB Local."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        settings = make_settings(endpoint=dynamodb_local_url)
        yield [create_app(settings), create_app(settings)]


def at_once(actions: list[Callable[[], Any]]) -> list[Any]:
    """Run the actions in threads released together; return their results in order."""
    results: list[Any] = [None] * len(actions)
    start = threading.Barrier(len(actions))

    def run(i: int) -> None:
        start.wait()
        results[i] = actions[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def press(who: ApiPlayer) -> tuple[int, dict[str, Any]]:
    """POST /api/quick-play, again after a 503, as the page does."""
    for _ in range(RETRIES):
        response = who.call("POST", PAIRING_URL)
        if response.status_code != 503:
            return response.status_code, response.get_json()
    raise AssertionError(f"{who.name}: still 503 after {RETRIES} tries")


def look(who: ApiPlayer) -> dict[str, Any]:
    response = who.call("GET", PAIRING_URL)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def players(instances: list[Any], count: int) -> list[ApiPlayer]:
    """New players, signed up and signed in on the instances in turn."""
    made = []
    for n in range(count):
        app = instances[n % len(instances)]
        made.append(ApiPlayer(app.test_client(), unique("q")).register())
    return made


def in_progress(who: ApiPlayer) -> list[str]:
    return [g["id"] for g in who.call("GET", "/api/games").get_json()["in_progress"]]


def test_16_players_pressing_at_once_on_two_instances_end_in_8_games(
    instances: list[Any],
) -> None:
    everyone = players(instances, 16)
    answers = at_once([lambda p=p: press(p) for p in everyone])
    assert Counter(status for status, _ in answers) == {201: 8, 202: 8}, answers
    games = {body["id"]: body for status, body in answers if status == 201}
    for p, (status, _) in zip(everyone, answers, strict=True):
        if status == 202:  # the waiter learns of its game
            found = look(p)
            assert found["status"] == "paired", (p.name, found)
            games[found["game"]["id"]] = found["game"]
    assert len(games) == 8
    seats = Counter(name for g in games.values() for name in (g["host"], g["opponent"]))
    assert seats == Counter({p.name: 1 for p in everyone})  # each player in exactly one
    for game in games.values():
        assert game["status"] == "IN_PROGRESS" and game["turn"] == game["x_player"] == game["host"]
    for p in everyone:  # and it is in their list
        assert len(in_progress(p)) == 1


@pytest.mark.parametrize("round_", range(3))
def test_one_players_tabs_pressing_at_once_make_one_wait(instances: list[Any], round_: int) -> None:
    (walt,) = players(instances, 1)
    tabs = [signed_in(instances[n % 2], walt.name) for n in range(6)]
    answers = at_once([lambda t=t: press(t) for t in tabs])
    assert {status for status, _ in answers} == {202}, answers
    assert len({body["expires_at"] for _, body in answers}) == 1  # one wait
    assert look(walt) == answers[0][1]
    assert in_progress(walt) == []  # never paired with themselves
    (pete,) = players(instances, 1)
    status, game = press(pete)
    assert (status, game["host"], game["opponent"]) == (201, walt.name, pete.name)
    assert look(walt) == {"status": "paired", "game": game}


def ticket_of(app: Any, name: str) -> str:
    backend = app.extensions["tictactoe"]
    found = backend.dynamodb.get_item(
        TableName=backend.settings.games_table,
        Key={"GameId": {"S": POINTER + name.lower()}},
        ConsistentRead=True,
    )
    return str(found["Item"]["Ticket"]["S"])


def test_a_cancel_racing_a_pairing_either_keeps_the_game_or_is_never_paired(
    instances: list[Any],
) -> None:
    walt, pete = players(instances, 2)
    stop = lambda: walt.call("DELETE", PAIRING_URL).status_code  # noqa: E731
    for _ in range(12):
        games = in_progress(walt)
        assert press(walt)[0] == 202
        ticket = ticket_of(instances[0], walt.name)
        stopped, (status, body) = at_once([stop, lambda: press(pete)])
        assert stopped == 204
        if status == 201:  # paired first: the cancel kept the game
            assert body["id"] == ticket and body["host"] == walt.name
            assert look(walt) == {"status": "paired", "game": body}
            assert ticket in in_progress(walt)
        else:  # cancelled first: the wait never became a game; pete waits instead
            assert (status, body["status"], look(walt)) == (202, "waiting", {"status": "idle"})
            assert walt.call("GET", f"/api/games/{ticket}").status_code == 404
            assert ticket not in in_progress(walt) and in_progress(walt) == games
            assert pete.call("DELETE", PAIRING_URL).status_code == 204
