"""GET /health: 200 while DynamoDB answers and every table and index is ACTIVE, else 503.

Asked at most every few seconds. A table made by an older version that lacks an index is
not ready: the check starts adding it (store/migration.py) and says 503 until it is built.

This is what the load balancer and a rolling deploy wait for before sending an instance
players, so it answers only once the process can serve: create_app has read the session key
and checked the tables before any request reaches here. The push bus is left out on purpose:
every instance shares it, so an outage would take them all out of service at once, while the
pages only need to poll until it is back (tests/api/test_health.py).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from tictactoe.store import StoreError, tables_ready
from tictactoe.web.current import backend

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

CACHE_SECONDS = 5.0


class _Cached:
    """The last answer, shared by the threads of one process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.ok = False


@bp.get("/health")
def health() -> ResponseReturnValue:
    ok = _check()
    return jsonify(status="ok" if ok else "unavailable"), 200 if ok else 503


def _check() -> bool:
    cached: _Cached = current_app.extensions.setdefault("tictactoe.health", _Cached())
    with cached.lock:
        if time.monotonic() - cached.checked_at >= CACHE_SECONDS:
            b = backend()
            try:
                cached.ok = tables_ready(b.dynamodb, b.settings)
            except StoreError as err:
                log.warning("Health check failed: %s", err)
                cached.ok = False
            cached.checked_at = time.monotonic()
        return cached.ok
