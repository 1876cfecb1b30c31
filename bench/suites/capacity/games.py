"""Capacity per complete game and per minute of waiting, from the app's own DynamoDB calls.

The app runs in this process (the same create_app gunicorn runs) so that the capacity
recorder can see which HTTP request each DynamoDB call served.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from bench.capacity import Recorder, instrumented_app
from bench.flows import Browser, new_pair, play_game
from bench.suites.common.browsers import watch_waiting
from devstack import processes, redis_server
from tictactoe.config import Settings
from tictactoe.web import auth


@contextmanager
def push_app(settings: Settings, workdir: Path) -> Iterator[tuple[Flask, Recorder]]:
    """The instrumented app with push on, through a redis-server of its own on loopback."""
    port = processes.free_port()
    bus = redis_server.start(port, workdir / "capacity-redis.log")
    try:
        yield instrumented_app(replace(settings, push_url=redis_server.url(port)))
    finally:
        processes.stop(bus)


def game_capacity(
    app: Flask,
    recorder: Recorder,
    cells: tuple[int, ...],
    history: bool,
    pictures: bool = False,
    push: bool = False,
) -> dict[str, Any]:
    """Capacity of one complete game, from both players' login to their last home page.

    With `history`, the two players have already played each other twice, once as host and
    once invited, so every home query returns entries, as on an established account (and as
    AWS bills a query). Without it, the game is the first of two new accounts, the
    situation of a fresh database: DynamoDB Local then bills an index query that finds
    nothing 0 units. With `pictures`, both players have uploaded a picture first. With
    `push` (an app from push_app), the game pages see each change on their streams.
    """
    host, opponent = new_pair(app, pictures)
    if history:
        play_game(host, opponent, cells)
        play_game(
            Browser(app.test_client(), opponent.name), Browser(app.test_client(), host.name), cells
        )
    # Fresh browsers: signed out, nothing cached, as at the start of a visit.
    host, opponent = (
        Browser(app.test_client(), host.name),
        Browser(app.test_client(), opponent.name),
    )
    recorder.reset()
    final = play_game(host, opponent, cells, push=push)
    return {"final": final, "capacity": recorder.snapshot()}


# Seconds between two steps of a game (a player's action, or a poll that sees it).
PACES = (0, 5, 10, 20, 61)


def session_checks(app: Flask, recorder: Recorder, cells: tuple[int, ...]) -> list[dict[str, Any]]:
    """What checking sessions against the player's epoch adds to one game, at several paces.

    A session is re-checked against its player's Users item at most once a minute (and
    before sensitive actions, which a game has none of), so the cost grows with the game's
    length, not its number of requests. The sessions' clock is moved `pace` seconds after
    every step; the Users reads beyond those of the game at pace 0 are the checks.
    """
    real, measured = auth.clock, []
    try:
        for pace in PACES:
            clock = _Clock(real())
            auth.clock = clock
            host, opponent = new_pair(app)
            play_game(host, opponent, cells)  # a history, with the clock still
            host, opponent = (Browser(app.test_client(), p.name) for p in (host, opponent))
            steps = _Steps(clock, pace)
            recorder.reset()
            play_game(host, opponent, cells, steps)
            used = recorder.snapshot()
            users = used["by_target"].get("Users", {"calls": 0, "rcu": 0.0})
            measured.append(
                {
                    "pace": pace,
                    "steps": steps.count,
                    "minutes": steps.count * pace / 60,
                    "users_calls": users["calls"],
                    "users_rcu": users["rcu"],
                    "cost": used["total"]["cost"],
                }
            )
    finally:
        auth.clock = real
    base = measured[0]
    for row in measured:
        row["checks"] = row["users_calls"] - base["users_calls"]
        row["check_rcu"] = row["users_rcu"] - base["users_rcu"]
    return measured


class _Steps:
    """A game's step callback: count the step, then let `pace` seconds pass."""

    def __init__(self, clock: _Clock, pace: float) -> None:
        self.clock, self.pace, self.count = clock, pace, 0

    def __call__(self, name: str) -> None:
        self.count += 1
        self.clock.advance(self.pace)


class _Clock:
    """A clock that moves only when told to."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` on a free loopback port from a thread; yield its URL."""
    port = processes.free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(10)


def waiting_cost(app: Flask, recorder: Recorder, url: str, seconds: float) -> dict[str, Any]:
    """Open both players' game pages while one waits for the other's move; measure polls."""
    host, opponent = new_pair(app)
    game_id = host.invite(opponent.name)
    opponent.accept(game_id)  # now it is X's turn: the opponent plays, the host waits
    watched = watch_waiting(url, game_id, [host.name, opponent.name], seconds, recorder)
    used = watched["capacity"]["by_type"].get("poll", {"rcu": 0.0, "calls": 0})
    total_polls = sum(watched["polls"].values())
    return {
        "seconds": watched["seconds"],
        "polls_by_player": {
            "waiting": watched["polls"][host.name],
            "to move": watched["polls"][opponent.name],
        },
        "rcu": used["rcu"],
        "rcu_per_minute": used["rcu"] * 60 / watched["seconds"],
        "polls_per_minute": total_polls * 60 / watched["seconds"],
        "rcu_per_poll": used["rcu"] / used["calls"] if used["calls"] else 0.0,
    }
