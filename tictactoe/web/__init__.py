"""HTTP: blueprints for pages and the JSON API, registered on the app."""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.routing import BaseConverter

from tictactoe.web import (
    api,
    auth,
    computer,
    errors,
    health,
    pages,
    pairing,
    pictures,
    players,
    streams,
)
from tictactoe.web.layers import caching, inputs


class GameIdConverter(BaseConverter):
    """Match only well-formed game ids, so a junk id is a 404 without a database call."""

    regex = r"[A-Za-z0-9_-]{8,32}"


def register(app: Flask) -> None:
    """Attach routes, error handlers and response headers to `app`."""
    app.url_map.converters["game_id"] = GameIdConverter
    auth.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(computer.bp)
    app.register_blueprint(pairing.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(players.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pictures.bp)
    app.register_blueprint(streams.bp)
    pictures.register(app)
    streams.register(app)
    app.jinja_env.globals["picture_url"] = pictures.template_url
    errors.register(app)
    inputs.register(app)
    caching.register(app)
    app.after_request(_security_headers)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
