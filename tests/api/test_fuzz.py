"""Schemathesis fuzzes every operation of the app's own /api/openapi.json, in-process on moto.

Valid and invalid data alike (schemathesis generates both) must never get a 5xx, and every
answer must be one the document lists, in the documented shape. Requests come from two
signed-in players in turn, with a valid CSRF token, so the routes behind sign-in and CSRF are
fuzzed too; two in three well-formed game ids are swapped for real games (an invitation and a
game in progress), the rest name none.

Bounded: a fixed number of examples per operation, generated from a fixed seed, so the run is
the same every time (FUZZ_EXAMPLES raises the count for a longer hunt).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.players import ApiPlayer

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_GAME_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
# The live streams (Server-Sent Events). Push is off here (no [push].url), so they answer 503
# with Retry-After by design, whatever the request: every other check still applies to them,
# and a 5xx must be that 503. With push on their 200 never ends, and a WSGI call reads the whole
# body: tests/api/test_streams.py covers them so, every answer checked against the document.
STREAMS = frozenset({"/api/games/{game_id}/events", "/api/me/events"})


class SignedIn:
    """WSGI middleware: each request comes from the next player's session, with their token."""

    def __init__(self, app: Callable[..., Any], players: list[ApiPlayer]) -> None:
        self.app = app
        self.turns = itertools.cycle(
            [(p.client.get_cookie("session").value, p.token) for p in players]  # type: ignore[union-attr]
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        cookie, token = next(self.turns)
        environ["HTTP_COOKIE"] = f"session={cookie}"
        environ["HTTP_X_CSRFTOKEN"] = token
        return self.app(environ, start_response)  # type: ignore[no-any-return]


@pytest.fixture
def real_games(app: Any, player: Any) -> list[str]:
    """Sign two players in; return the ids of an invitation and a game in progress."""
    host, guest = player(), player()
    started = guest.accept(host.invite(guest))
    guest.move(started, 4)
    pending = guest.invite(host)
    app.wsgi_app = SignedIn(app.wsgi_app, [host, guest])
    return [pending["id"], started["id"]]


@pytest.fixture
def api_schema(app: Any, real_games: list[str]) -> Any:
    """The schema the app serves, its requests sent straight to the app (WSGI)."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples every run: a failure is reproducible
    database=None,
    deadline=None,  # some operations hash a password on purpose; speed is bench/'s business
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: Any, real_games: list[str]
) -> None:
    game_id = (case.path_parameters or {}).get("game_id")
    if isinstance(game_id, str) and _GAME_ID.fullmatch(game_id):
        case.path_parameters["game_id"] = (
            real_games[len(game_id) % 2] if len(game_id) % 3 else game_id
        )
    if case.operation.path not in STREAMS:
        case.call_and_validate(checks=CHECKS)
        return
    response = case.call_and_validate(checks=CHECKS[1:])
    if response.status_code >= 500:
        assert response.status_code == 503 and response.headers.get("retry-after"), response
