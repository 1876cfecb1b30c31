"""[flask].public_origin: the one address players use, for absolute links and the Host check.

Without it, an absolute link (a challenge link) and the HTTPS redirect name whatever host the
request's Host header says, so `Host: evil.example` gets links to evil.example back. With it,
they are built from the origin, and a request for any other host is refused with 400 before
anything else runs; the load balancer's health check, which names the instance's private
address as Host, still reaches /health. The refusal is here rather than in the instance's
nginx: the environment's address is not known when the bundle is built, and an operator can
set this one as an environment property (TICTACTOE_PUBLIC_ORIGIN) once it is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, url_for

# The load balancer's health check names the target's own IP address as Host.
EXEMPT_PATHS = frozenset({"/health"})


def register(app: Flask, public_origin: str | None) -> None:
    """Build absolute URLs from `public_origin` and refuse other hosts (None: trust Host)."""
    app.extensions["public_origin"] = public_origin
    app.add_template_global(public_url)
    if public_origin:
        served = urlsplit(public_origin).hostname  # worked out once, not per request
        app.before_request(lambda: _refuse_other_hosts(served))


def origin() -> str | None:
    """Return the configured scheme://host[:port] players use, or None."""
    found: str | None = current_app.extensions.get("public_origin")
    return found


def public_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of `endpoint`, on the public origin when one is configured."""
    configured = origin()
    if configured is None:
        return url_for(endpoint, _external=True, **values)
    return configured + url_for(endpoint, **values)


def _refuse_other_hosts(served: str | None) -> Response | None:
    if request.path in EXEMPT_PATHS or _hostname(request.host) == served:
        return None
    return Response("This server does not answer for that host.\n", 400, mimetype="text/plain")


def _hostname(host: str) -> str | None:
    """Return the host name of a Host header, without its port (nginx's $host has none)."""
    try:
        return urlsplit(f"//{host}").hostname
    except ValueError:  # a malformed IPv6 literal
        return None
