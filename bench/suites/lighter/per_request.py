"""App CPU per request before and after issue 27's items 1 and 3, one change at a time.

Two apps from create_app on the stack's DynamoDB Local, in this process: one whose DynamoDB
client is built as before (per_call.before_client), one as the app builds it now; on either,
the session interface can verify every cookie again (as before) or once per process (as
now). Each row compares two states: the DynamoDB client alone, the session cookie alone,
and both. A round plays, for every row, one 7-move game in the old state, then one in the
new; a request's CPU is time.process_time() of this process around the test client's call
(DynamoDB Local's own CPU is not in it; the test client's is, alike in both states).
"""

from __future__ import annotations

import functools
import logging
import statistics
import time
import timeit
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from bench.flows import Browser, new_pair
from bench.suites.common.timed import KINDS, timed_game
from bench.suites.lighter.per_call import before_client
from tictactoe import create_app
from tictactoe.adapters import clients
from tictactoe.config import Settings

log = logging.getLogger("bench")
# Each row: (client, session) before, then after; "old"/"new" for each part.
ROWS = {
    "DynamoDB client (item 1)": (("old", "new"), ("new", "new")),
    "session cookie verified once (item 3)": (("new", "old"), ("new", "new")),
    "both": (("old", "old"), ("new", "new")),
}
ROUNDS, SECONDS = 20, 60  # at least one round, at most ROUNDS, none started after SECONDS
QUICK_ROUNDS, QUICK_SECONDS = 3, 12


def measure(settings: Settings, quick: bool = False) -> dict[str, Any]:
    """Play the rounds; return per row the median µs per request before and after."""
    rounds, budget = (QUICK_ROUNDS, QUICK_SECONDS) if quick else (ROUNDS, SECONDS)
    apps = {"new": create_app(settings)}
    with _old_client(settings):
        apps["old"] = create_app(settings)
    sessions = {name: _Sessions(app) for name, app in apps.items()}
    players = {name: new_pair(app) for name, app in apps.items()}
    samples = {row: {"before": _empty(), "after": _empty()} for row in ROWS}
    started, done = time.monotonic(), 0
    try:
        for name in apps:  # warm both apps and both session interfaces
            for verify_once in (False, True):
                sessions[name].set(verify_once)
                timed_game(*players[name])
        while done < rounds and (done == 0 or time.monotonic() - started < budget):
            for row, states in ROWS.items():
                for when, (client, session) in zip(("before", "after"), states, strict=True):
                    sessions[client].set(session == "new")
                    for kind, times in timed_game(*players[client]).items():
                        samples[row][when][kind] += times
            done += 1
    finally:
        for held in sessions.values():
            held.set(True)
    log.info("  requests: %d rounds in %.0f s", done, time.monotonic() - started)
    return {
        "open_session_us": _open_session_us(apps["new"], sessions["new"], players["new"][0]),
        "rounds": done,
        "seconds": time.monotonic() - started,
        "rows": {row: _figures(by) for row, by in samples.items()},
    }


class _Sessions:
    """An app's session interface as shipped, or verifying every cookie as before item 3."""

    def __init__(self, app: Flask) -> None:
        self.app, self.shipped = app, app.session_interface
        shipped_type = type(self.shipped)

        class EveryCookie(shipped_type):  # the app's own class, but Flask's open_session
            open_session = SecureCookieSessionInterface.open_session

        self.every_cookie = EveryCookie()

    def set(self, verify_once: bool) -> None:
        self.app.session_interface = self.shipped if verify_once else self.every_cookie


@contextmanager
def _old_client(settings: Settings) -> Iterator[None]:
    """create_app builds its DynamoDB client as before issue 27 while this lasts."""
    shipped = clients.dynamodb
    clients.dynamodb = lambda settings, parsers=None: before_client(settings)
    try:
        yield
    finally:
        clients.dynamodb = shipped


def _open_session_us(app: Flask, sessions: _Sessions, player: Browser) -> dict[str, float]:
    """CPU µs of reading a signed-in player's session cookie, every time or once per process:
    timed apart from the requests (a few per cent of one, below their noise); best of five."""
    found = player.client.get_cookie("session")
    assert found is not None
    out = {}
    with app.test_request_context("/", headers={"Cookie": f"session={found.value}"}):
        for state, verify_once in (("before", False), ("after", True)):
            sessions.set(verify_once)
            interface = app.session_interface
            read = functools.partial(interface.open_session, app, flask.request)
            out[state] = min(timeit.repeat(read, number=2000, repeat=5)) / 2000 * 1e6
    sessions.set(True)
    return out


def _empty() -> dict[str, list[float]]:
    return {kind: [] for kind in KINDS}


def _figures(by: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    before = {k: statistics.median(v) for k, v in by["before"].items()}
    after = {k: statistics.median(v) for k, v in by["after"].items()}
    return {
        "before_us": before,
        "after_us": after,
        "ratio": {k: after[k] / before[k] for k in KINDS},
        "samples": {k: len(v) for k, v in by["after"].items()},
    }
