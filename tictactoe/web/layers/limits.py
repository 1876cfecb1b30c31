"""The limits on logins and sign-ups, one per process, and the gate of the current request."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from tictactoe.services.limits import Gate, Limits, client_key, too_many_logins
from tictactoe.store.limits import Counters
from tictactoe.web.current import backend

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def install(app: Flask) -> None:
    """Give `app` its limits: the shared counters, and this process's memory and hashing slots."""
    with app.app_context():
        b = backend()
    settings = b.settings
    limits = app.extensions["limits"] = Limits(
        Counters(b.dynamodb, settings.users_table),
        failed_logins_per_account=settings.failed_logins_per_account,
        login_attempts_per_client=settings.login_attempts_per_client,
        signups_per_client=settings.signups_per_client,
    )
    # Inside ProxyFix (when there is one), so that REMOTE_ADDR is already the client's.
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = RefuseKnownFloods(outer.app, limits)
    else:
        app.wsgi_app = RefuseKnownFloods(outer, limits)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app


def gate() -> Gate:
    """The limits as they apply to this request's client.

    request.remote_addr is the client: the peer itself, or, behind [flask].trusted_proxies
    proxies, the address the outermost of ours saw (ProxyFix, set up in create_app).
    """
    limits: Limits = current_app.extensions["limits"]
    return limits.gate(request.remote_addr)


class RefuseKnownFloods:
    """Answer `POST /api/login` from a client this process already refuses, before Flask.

    A flood is mostly such requests. Refused here they cost no session or CSRF check, no
    view, no DynamoDB call and no hash: the same 429 the view would give, for a fraction of
    the CPU. Everything else passes through untouched.
    """

    def __init__(self, app: WSGIApplication, limits: Limits) -> None:
        self.app, self.limits = app, limits

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/api/login":
            now = self.limits.clock()
            until = self.limits.login_refused_until(client_key(environ.get("REMOTE_ADDR")), now)
            if until is not None:
                refused = too_many_logins(until - now)
                body = json.dumps({"error": str(refused)}).encode()
                start_response(
                    "429 TOO MANY REQUESTS",
                    [
                        ("Content-Type", "application/json"),
                        ("Content-Length", str(len(body))),
                        ("Retry-After", str(refused.retry_after)),
                        ("Cache-Control", "no-store"),
                        ("X-Content-Type-Options", "nosniff"),
                    ],
                )
                return [body]
        return self.app(environ, start_response)
