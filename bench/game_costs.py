"""Capacity per complete game and per minute of waiting, from the app's own DynamoDB calls.

The app runs in this process (the same create_app gunicorn runs) so that the capacity
recorder can see which HTTP request each DynamoDB call served.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from devstack import processes
from tictactoe import create_app
from tictactoe.config import Settings

from .capacity import Recorder
from .flows import Browser, new_pair, play_game
from .pages import watch_waiting


def instrumented_app(settings: Settings) -> tuple[Flask, Recorder]:
    """Build the app as production does and hook a capacity recorder onto its client."""
    app = create_app(settings)
    return app, Recorder.install(app.extensions["tictactoe"].dynamodb)


def game_capacity(
    app: Flask, recorder: Recorder, cells: tuple[int, ...], history: bool, pictures: bool = False
) -> dict[str, Any]:
    """Capacity of one complete game, from both players' login to their last home page.

    With `history`, the two players have already played each other twice, once as host and
    once invited, so every home query returns entries, as on an established account (and as
    AWS bills a query). Without it, the game is the first of two new accounts, the
    situation of a fresh database: DynamoDB Local then bills an index query that finds
    nothing 0 units. With `pictures`, both players have uploaded a picture first.
    """
    host, opponent = new_pair(app, pictures)
    if history:
        play_game(host, opponent, cells)
        play_game(Browser(app.test_client(), opponent.name), Browser(app.test_client(), host.name),
                  cells)  # fmt: skip
    # Fresh browsers: signed out, nothing cached, as at the start of a visit.
    host, opponent = (
        Browser(app.test_client(), host.name),
        Browser(app.test_client(), opponent.name),
    )
    recorder.reset()
    final = play_game(host, opponent, cells)
    return {"final": final, "capacity": recorder.snapshot()}


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
        },  # fmt: skip
        "rcu": used["rcu"],
        "rcu_per_minute": used["rcu"] * 60 / watched["seconds"],
        "polls_per_minute": total_polls * 60 / watched["seconds"],
        "rcu_per_poll": used["rcu"] / used["calls"] if used["calls"] else 0.0,
    }
