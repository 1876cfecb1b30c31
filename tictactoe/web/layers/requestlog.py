"""One log line per request, with its id and what it cost in DynamoDB.

The outermost WSGI layer (`RequestLog`) gives each request its id, returns it in X-Request-Id
on every response (also the ones answered before Flask, such as a known login flood), and
when the app has answered writes one record to the `tictactoe.requests` logger: method,
route (the URL rule, so "/api/games/<game_id>/moves", never a raw path with names in it),
status, duration, the player when signed in, and the DynamoDB calls the request made
with the read and write units they consumed (tictactoe/adapters/capacity.py). Flask tells it
the route and the player through the WSGI environ. The same figures, and what the request did,
go to CloudWatch as metrics when they are on (tictactoe/adapters/metrics.py).

The id is the load balancer's trace id (the Root of X-Amzn-Trace-Id, which the ALB adds and
writes into its own access logs) when it has that exact shape, else a new one of the same
shape. A client can send the header itself (nothing strips it without a balancer, and the
ALB keeps a Root it is given), so it is only believed when well-formed: no other characters
and no other length can reach the logs or a page.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, has_request_context, request, session

from tictactoe import logs
from tictactoe.adapters import capacity, metrics

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("tictactoe.requests")

HEADER = "X-Request-Id"
# X-Ray's trace id: version 1, the epoch second in 8 hex digits, 96 random bits in 24.
_TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
_TRACE_HEADER_MAX = 256  # Root, Parent, Sampled, Self and a little more
_ENVIRON_KEY = "tictactoe.request"
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^:<>]+)>")


def request_id_from(trace_header: str | None) -> str:
    """Return the Root of a well-formed X-Amzn-Trace-Id, or a new id of that shape."""
    if trace_header and len(trace_header) <= _TRACE_HEADER_MAX:
        for field in trace_header.split(";"):
            name, _, value = field.strip().partition("=")
            if name == "Root" and _TRACE_ID.fullmatch(value):
                return value
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


@dataclass
class Tally:
    """What one request did, filled in while it runs."""

    request_id: str
    method: str
    started: float
    status: int | None = None
    route: str | None = None
    player: str | None = None
    calls: int = 0
    rcu: float = 0.0
    wcu: float = 0.0
    dynamodb_seconds: float = 0.0

    def add(self, call: capacity.Call) -> None:
        self.calls += 1
        self.rcu += call.rcu
        self.wcu += call.wcu
        self.dynamodb_seconds += call.seconds

    def fields(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 1),
            "player": self.player,
            "dynamodb_calls": self.calls,
            "rcu": round(self.rcu, 2),
            "wcu": round(self.wcu, 2),
            "dynamodb_ms": round(self.dynamodb_seconds * 1000, 1),
        }


class RequestLog:
    """WSGI middleware: id every request, and log it once the app has answered."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        tally = Tally(
            request_id_from(environ.get("HTTP_X_AMZN_TRACE_ID")),
            environ.get("REQUEST_METHOD", "?"),
            time.perf_counter(),
        )
        environ[_ENVIRON_KEY] = tally
        token = logs.request_id.set(tally.request_id)
        counting = metrics.begin()  # what the request does (moves, games) goes on its line

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            tally.status = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            return start_response(status, [*headers, (HEADER, tally.request_id)], *args)

        try:
            return self.app(environ, start)  # Flask has run the request to its end here
        except BaseException:
            tally.status = tally.status or 500
            raise
        finally:
            fields = tally.fields()
            log.info("request", extra=fields)
            metrics.request(
                counting,
                tally.route,
                fields["status"] or 500,
                fields["duration_ms"],
                tally.rcu,
                tally.wcu,
            )
            logs.request_id.reset(token)


def current() -> Tally | None:
    """Return the tally of the request being served, if any."""
    return request.environ.get(_ENVIRON_KEY)


def current_request_id() -> str | None:
    """Return the id of the request being served (for pages and error bodies)."""
    return logs.request_id.get()


def install(app: Flask, dynamodb: Any) -> None:
    """Wrap `app` in the request log, and count `dynamodb`'s calls for it; turn metrics on
    when TICTACTOE_METRICS_FILE says where they go."""
    metrics.configure()
    capacity.install(dynamodb).subscribe(_count)
    app.before_request(_note_player)
    app.after_request(_note)
    app.context_processor(lambda: {"request_id": current_request_id()})
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app


def _count(call: capacity.Call) -> None:
    """Add a DynamoDB call to the request this thread serves (calls outside requests: none)."""
    tally = current() if has_request_context() else None
    if tally is not None:
        tally.add(call)


def _note_player() -> None:
    """Remember who asked, before a sign-out forgets it."""
    tally = current()
    if tally is not None:
        tally.player = session.get("player")


def _note(response: Response) -> Response:
    """Tell the request log the route and the signed-in player (Flask knows, WSGI does not)."""
    tally = current()
    if tally is not None:
        tally.route = route_of(request.url_rule.rule) if request.url_rule else None
        tally.player = session.get("player") or tally.player
    return response


@functools.cache  # one entry per URL rule of the app: worked out once, not on every request
def route_of(rule: str) -> str:
    """Drop a URL rule's converters: "/games/<game_id:game_id>" -> "/games/<game_id>"."""
    return _CONVERTER.sub(r"<\1>", rule)
