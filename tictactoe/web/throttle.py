"""The limits on logins and sign-ups, one per process, and the gate of the current request."""

from __future__ import annotations

from flask import Flask, current_app, request

from ..backend import backend
from ..limits import Gate, Limits
from ..store.limits import Counters


def install(app: Flask) -> None:
    """Give `app` its limits: the shared counters, and this process's memory and hashing slots."""
    with app.app_context():
        b = backend()
    settings = b.settings
    app.extensions["limits"] = Limits(
        Counters(b.dynamodb, settings.users_table),
        failed_logins_per_account=settings.failed_logins_per_account,
        login_attempts_per_client=settings.login_attempts_per_client,
        signups_per_client=settings.signups_per_client,
    )


def gate() -> Gate:
    """The limits as they apply to this request's client.

    request.remote_addr is the client: the peer itself, or, behind [flask].trusted_proxies
    proxies, the address the outermost of ours saw (ProxyFix, set up in create_app).
    """
    limits: Limits = current_app.extensions["limits"]
    return limits.gate(request.remote_addr)
