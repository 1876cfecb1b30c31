"""Races against the real DynamoDB Local: many threads moving for both players at once, and
several processes creating the tables at once."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.support import ROOT
from tests.support.players import ApiPlayer, signed_in
from tictactoe.rules.board import EMPTY, winning_mark

THREADS_PER_PLAYER = 6


def hammer(me: ApiPlayer, game_id: str, results: list, start: threading.Barrier) -> None:
    """Fire moves at random cells until the game is over, sometimes with a stale state."""
    rng = random.Random()
    state = None
    start.wait()
    for _ in range(60):
        headers = {"X-Game-State": state} if state and rng.random() < 0.7 else {}
        cell = rng.randrange(9)
        response = me.call("POST", f"/api/games/{game_id}/moves", {"cell": cell}, headers=headers)
        body = response.get_json()
        results.append((me.name, cell, response.status_code, body))
        assert response.status_code in (200, 409), body
        if response.status_code == 200:
            state = response.headers["ETag"]
            if body["status"] == "FINISHED":
                return
        elif body["error"] == "this game is over":
            return


@pytest.mark.parametrize("round_", range(4))
def test_racing_moves_never_corrupt_a_game(local_app: Any, round_: int) -> None:
    tag = f"r{round_}{random.randrange(10**6)}"
    host, opponent = (ApiPlayer(local_app.test_client(), tag + n).register() for n in "ho")
    game = opponent.accept(host.invite(opponent))
    clients = [
        signed_in(local_app, p.name) for p in (host, opponent) for _ in range(THREADS_PER_PLAYER)
    ]
    results: list = []
    start = threading.Barrier(len(clients))
    threads = [
        threading.Thread(target=hammer, args=(c, game["id"], results, start)) for c in clients
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    final = host.call("GET", f"/api/games/{game['id']}").get_json()
    board = "".join(c or EMPTY for c in final["board"])

    assert final["status"] == "FINISHED"
    # The race was real: both players were refused at least once while racing.
    assert {name for name, _, status, _ in results if status == 409} == {host.name, opponent.name}
    xs, os_ = board.count("X"), board.count("O")
    assert xs - os_ in (0, 1), board
    mark = {opponent.name: "X", host.name: "O"}
    accepted = {(name, cell) for name, cell, status, _ in results if status == 200}
    assert accepted == {(name, c) for name in mark for c in range(9) if board[c] == mark[name]}
    line = winning_mark(board)
    if final["winner"] is None:
        assert line is None and EMPTY not in board
    else:
        assert line == mark[final["winner"]]


@pytest.mark.parametrize("history", ["new pair", "after a game"])
def test_a_pair_inviting_each_other_at_once_gets_exactly_one_invitation(
    local_app: Any, history: str
) -> None:
    tag = f"i{random.randrange(10**6)}"
    one, other = (ApiPlayer(local_app.test_client(), tag + n).register() for n in "ab")
    if history == "after a game":  # the pair's lock names an answered game: both take it over
        other.accept(one.invite(other))
    # Both directions at once, and each twice over (two tabs each).
    clients = [(signed_in(local_app, a.name), b.name) for a, b in [(one, other), (other, one)] * 2]
    answers: list = []
    start = threading.Barrier(len(clients))

    def invite(me: ApiPlayer, opponent: str) -> None:
        start.wait()
        response = me.call("POST", "/api/games", {"opponent": opponent})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=invite, args=c) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(status for status, _ in answers) == [201, 409, 409, 409], answers
    winner = next(body["id"] for status, body in answers if status == 201)
    assert {body["id"] for _, body in answers} == {winner}  # every 409 names the open one
    lists = [p.call("GET", "/api/games").get_json() for p in (one, other)]
    pending = [g["id"] for mine in lists for g in mine["sent"] + mine["invites"]]
    assert pending == [winner, winner]  # one invitation, seen by both players


def test_processes_creating_tables_at_once_all_come_up(
    dynamodb_local_url: str, tmp_path: Path
) -> None:
    settings = make_settings(endpoint=dynamodb_local_url)
    config = tmp_path / "race.toml"
    config.write_text(
        f'[dynamodb]\nregion = "us-west-2"\nendpoint = "{dynamodb_local_url}"\n'
        f'games_table = "{settings.games_table}"\nusers_table = "{settings.users_table}"\n'
        f'avatars_table = "{settings.avatars_table}"\n[flask]\nsecret_key = "k"\n'
    )
    env = {
        "CONFIG_FILE": str(config),
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tictactoe", "create-tables"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    reports = [out.removeprefix("created: ").strip() for out, _ in outputs]
    created = [name for report in reports if "nothing" not in report for name in report.split(", ")]
    assert sorted(created) == sorted(
        [settings.games_table, settings.users_table, settings.avatars_table]
    )
