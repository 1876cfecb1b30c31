"""The deploy drill: a new version replaces both instances while players play, as
.ebextensions/05-deploy.config asks Elastic Beanstalk to do it, and then all at once.

The new version is the bundle as an operator builds it (scripts/bundle.py), unzipped into a
folder of its own; its instances run from there, with the stack's config. One by one, as a
rolling deployment with an additional batch does: start the new instance, wait for /health,
route to it; stop routing to the old one, wait the deregistration delay, SIGTERM it. All at
once, as the default policy does: SIGTERM both, start both in place, on the same ports.

Meanwhile three pairs play through the load balancer and two pages hold their streams
(tests/e2e/drill.py). Figures: requests that failed (5xx or no answer), moves acknowledged but
missing from the final boards, and the longest time a page was without a stream. Rolling must
cost nothing and bring the pages back within 5 s; all at once is recorded, not judged. Both
go to artifacts/deploy-drill.json and, by hand, to docs/operations.md ("Deploys").

It shares the package's stack with the browser tests (the same xdist group) and leaves it
whole: two instances, named and logging as before, routed to and healthy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unique
from tests.support.players import ApiPlayer

from .drill import Client, Page, Tally, missing_moves, play
from .stack import ROOT, Stack, stream_graceful_timeout, wait_healthy

pytestmark = [pytest.mark.stack, pytest.mark.xdist_group("e2e")]

# Elastic Beanstalk waits DeregistrationDelay (.ebextensions/01-app.config: 20 s) between
# deregistering an instance and stopping it. The drill waits 2 s: its requests take
# milliseconds, so 2 s proves the order of the steps without making the drill slow.
DEREGISTRATION_DELAY = 2.0
PAIRS = 3
BACK_ON_A_STREAM = 5.0  # the goal: no page without a stream for longer
SETTLE = 2.0  # seconds of play before and after each deploy
FIGURES = ROOT / "artifacts" / "deploy-drill.json"


def unpack_bundle(home: Path) -> Path:
    """Build the bundle as an operator does and unzip it into a folder of its own."""
    zip_path = home / "app.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bundle.py"), "--output", str(zip_path)],
        check=True,
        capture_output=True,
    )
    app_dir = home / "app"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(app_dir)
    assert (app_dir / "application.py").is_file() and (app_dir / "Procfile").is_file()
    return app_dir


def one_by_one(stack: Stack, app_dir: Path) -> None:
    """Replace each instance by a new one, never routing to fewer than two."""
    graceful = stream_graceful_timeout()
    for old in list(stack.instances):
        new = stack.launch(old, app_dir)
        wait_healthy(new)
        stack.route([*stack.instances, new])
        stack.route([i for i in stack.instances if i is not old])
        time.sleep(DEREGISTRATION_DELAY)  # the delay itself: nothing is routed to it now
        stack.terminate_instance(old)
        stack.wait_stopped(old, timeout=graceful + 5)


def all_at_once(stack: Stack, app_dir: Path) -> None:
    """Stop every instance, then start the new version on each, still routed to."""
    graceful = stream_graceful_timeout()
    old = list(stack.instances)
    for instance in old:
        stack.terminate_instance(instance)
    for instance in old:
        stack.wait_stopped(instance, timeout=graceful + 5)
    new = [stack.launch(instance, app_dir, in_place=True) for instance in old]
    for instance in new:
        wait_healthy(instance)
    stack.route(new)


def signed_up(base: str, tally: Tally) -> ApiPlayer:
    return ApiPlayer(Client(base, tally), unique("d")[:20]).register()


def drill(stack: Stack, deploy: Callable[[], None]) -> dict[str, Any]:
    """Play while `deploy` runs; return what it cost the players."""
    setup = Tally()
    pairs = [(signed_up(stack.url, setup), signed_up(stack.url, setup)) for _ in range(PAIRS)]
    reader, watcher = signed_up(stack.url, setup), signed_up(stack.url, setup)
    game = watcher.call("POST", "/api/games", {"opponent": reader.name}).get_json()
    tally, stop = Tally(), threading.Event()
    for player in (p for pair in pairs for p in pair):
        player.client.tally = tally  # count from here on: the sign-ups are not the drill's
    pages = [
        Page(stack.url, "/api/me/events", reader.client.session.cookies, tally).start(),
        Page(
            stack.url, f"/api/games/{game['id']}/events", watcher.client.session.cookies, tally
        ).start(),
    ]
    threads = [
        threading.Thread(target=play, args=(*pair, tally, stop), daemon=True) for pair in pairs
    ]
    try:
        for page in pages:
            assert page.streaming.wait(10), f"{page.path} never opened its stream"
        for thread in threads:
            thread.start()
        stop.wait(SETTLE)
        began = time.monotonic()
        deploy()
        took = time.monotonic() - began
        stop.wait(SETTLE)
        deadline = time.monotonic() + 30
        while not all(page.streaming.is_set() for page in pages):
            assert time.monotonic() < deadline, "a page never came back to a stream"
            stop.wait(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        for page in pages:
            page.close()
    assert not any(thread.is_alive() for thread in threads)
    missing = missing_moves([host for host, _ in pairs], tally)
    return {
        "deploy_seconds": round(took, 1),
        "requests": tally.requests,
        "failed_requests": len(tally.failed),
        # from the first failed request to the last: how long players met errors
        "seconds_failing": round(
            max(tally.failed_at, default=0) - min(tally.failed_at, default=0), 1
        ),
        "failed_examples": sorted(set(tally.failed))[:5],
        "refused_requests": tally.refused[:5],
        "moves_acknowledged": len(tally.acked),
        "moves_missing": len(missing),
        "streams_reopened": len(tally.gaps),
        "streams_cut": len(tally.cut),  # broken off instead of ended by the stream process
        "seconds_back_on_a_stream": round(max(tally.gaps, default=0.0), 2),
    }


def test_a_rolling_deploy_costs_players_nothing_and_all_at_once_is_measured(
    whole_stack: Stack,
) -> None:
    stack = whole_stack
    # Under the stack's home, not the test's: the instances outlive this test.
    app_dir = unpack_bundle(stack.home / f"bundle-{time.monotonic_ns()}")
    figures = {"one_by_one": drill(stack, lambda: one_by_one(stack, app_dir))}
    figures["all_at_once"] = drill(stack, lambda: all_at_once(stack, app_dir))
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")

    rolling = figures["one_by_one"]
    assert rolling["failed_requests"] == 0, rolling
    assert rolling["refused_requests"] == [], rolling
    assert rolling["moves_missing"] == 0, rolling
    assert rolling["streams_cut"] == 0, rolling  # each ended at SIGTERM, with a reason
    assert rolling["moves_acknowledged"] > 0 and rolling["streams_reopened"] >= 2, rolling
    assert rolling["seconds_back_on_a_stream"] <= BACK_ON_A_STREAM, rolling
    # The stack is whole again: two instances of the new version, healthy and routed to.
    assert [i.name for i in stack.instances] == ["a", "b"]
    assert all(i.app_dir == app_dir and i.running() for i in stack.instances)
    for instance in stack.instances:
        wait_healthy(instance, timeout=10)
