"""Cache-Control on every response: private pages and API answers are never stored by caches.

Pages and API responses depend on who is signed in, so by default no cache, shared or the
browser's, may keep them (`no-store`). A view that wants revalidation or long-lived caching
sets its own header (a game's JSON, which polls revalidate with its ETag for a 304; picture
objects, whose bytes never change); such a header is made `private` unless it says otherwise,
since every one of those responses needs the session cookie. Static files keep Flask's own.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

NO_STORE = "no-store"
_SCOPES = ("public", "private", "no-store")


def register(app: Flask) -> None:
    """Give every response a Cache-Control header."""
    app.after_request(cache_control)


def cache_control(response: Response) -> Response:
    """Set `no-store` where the view set nothing; make a view's own choice private."""
    if request.endpoint == "static":
        return response
    given = response.headers.get("Cache-Control")
    if not given:
        response.headers["Cache-Control"] = NO_STORE
    elif not any(scope in given for scope in _SCOPES):
        response.headers["Cache-Control"] = f"private, {given}"
    return response
