"""How many of each DynamoDB call a move brings in the browser flow, counted, not assumed.

One 7-move win played as browsers play it (bench/flows.py: both log in and load home, an
invitation, its accept, seven moves each seen by the other page, home again) on an app from
create_app in this process, whose every DynamoDB call the capacity recorder counts by
operation (bench/capacity.py): once with the pages polling, once with push on (a
redis-server of this suite's own), where the stream process's reads outside requests (the
hub's read of a changed game) count too. Per move = the game's calls ÷ its 7 moves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.capacity import Recorder
from bench.flows import WIN_IN_7, Browser, new_pair, play_game
from devstack import processes, redis_server
from tictactoe import create_app
from tictactoe.config import Settings

FLOWS = {"polling": "pages polling (push off)", "push on": "push on: streams, no polls"}


def measure(settings: Settings, workdir: Path) -> dict[str, Any]:
    """Count each flow's calls; return calls per move by operation and by request, per flow."""
    found = {"polling": _count(settings, False)}
    if redis_server.available():
        port = processes.free_port()
        bus = redis_server.start(port, workdir / "thin-redis.log")
        try:
            found["push on"] = _count(replace(settings, push_url=redis_server.url(port)), True)
        finally:
            processes.stop(bus)
    return found


def _count(settings: Settings, push: bool) -> dict[str, Any]:
    """One game after a first one (so the home lists find entries, as established players')."""
    app = create_app(settings)
    recorder = Recorder.install(app.extensions["tictactoe"].dynamodb)
    host, opponent = new_pair(app)
    play_game(host, opponent, WIN_IN_7)
    host, opponent = (Browser(app.test_client(), p.name) for p in (host, opponent))
    recorder.reset()
    play_game(host, opponent, WIN_IN_7, push=push)
    counted = recorder.snapshot()["by_operation"]  # "<request type>:<operation>" -> calls
    operations: Counter[str] = Counter()
    for key, n in counted.items():
        operations[key.rpartition(":")[2]] += n
    moves = len(WIN_IN_7)
    return {
        "moves": moves,
        "per_move": {op: n / moves for op, n in sorted(operations.items())},
        "by_request": dict(sorted(counted.items())),
    }
