"""One place that turns domain, storage and HTTP errors into responses (JSON or HTML)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tictactoe.adapters import pillow
from tictactoe.rules import board
from tictactoe.services.errors import Conflict, Forbidden, Invalid, WrongCredentials
from tictactoe.services.limits import Refused
from tictactoe.store import (
    NotFound,
    OpenInvitation,
    Taken,
    TooManyGames,
    TooManyInvitations,
    TooSimilar,
    Unavailable,
)
from tictactoe.web import returns
from tictactoe.web.auth import NotSignedIn

log = logging.getLogger(__name__)

STATUS: dict[type[Exception], int] = {
    Invalid: 400,
    board.BadCell: 400,
    WrongCredentials: 401,
    Forbidden: 403,
    board.NotAPlayer: 403,
    NotFound: 404,
    Taken: 409,
    TooSimilar: 409,
    Conflict: 409,
    board.NotYourTurn: 409,
    board.CellTaken: 409,
    board.NotInProgress: 409,
    pillow.BadImage: 400,
    pillow.TooLarge: 413,
    TooManyInvitations: 429,
    TooManyGames: 429,
}
UNAVAILABLE = "The game is temporarily unavailable. Please try again in a moment."


def wants_json() -> bool:
    """Answer in JSON for the API and for clients that prefer it."""
    if request.path.startswith(("/api/", "/health")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(message: str, status: int) -> tuple[Response | str, int]:
    """Return an error in the form the client wants."""
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", message=message, status=status), status


def register(app: Flask) -> None:
    """Install the handlers on `app`."""
    for kind, status in STATUS.items():
        app.register_error_handler(kind, _known(status))
    for kind, handler in HANDLERS.items():
        app.register_error_handler(kind, handler)


def _unavailable(err: Unavailable) -> ResponseReturnValue:
    log.warning("Storage unavailable: %s", err)
    body, status = error_response(UNAVAILABLE, 503)
    return body, status, {"Retry-After": "2"}


def _open_invitation(err: OpenInvitation) -> ResponseReturnValue:
    if wants_json():  # the body names the open invitation, so a client can go to it
        return jsonify(error=str(err), id=err.game_id), 409
    return error_response(str(err), 409)


def _not_signed_in(err: NotSignedIn) -> ResponseReturnValue:
    if wants_json():
        return error_response(str(err), 401)
    # A page (or a form posted from one) whose session ended: off to sign in, and back to
    # the page afterwards (a challenge link, say). A form post returns home instead.
    back = returns.safe_next(request.full_path.rstrip("?"))
    if request.method not in ("GET", "HEAD") or back is None:
        return redirect(url_for("pages.home"), code=303)
    return redirect(url_for("pages.home", next=back), code=303)


# limits, busy hashing, and a picture decoding (pillow.Busy)
def _refused(err: Refused) -> ResponseReturnValue:
    body, status = error_response(str(err), err.status)
    return body, status, {"Retry-After": str(err.retry_after)}


def _csrf(err: CSRFError) -> ResponseReturnValue:
    return error_response(
        f"{err.description} Send the X-CSRFToken header with the token from "
        "GET /api/csrf (forms carry it in a hidden field); reload the page to get one.",
        400,
    )


def _http(err: HTTPException) -> ResponseReturnValue:
    status = err.code or 500
    messages = {
        404: "Not found.",
        405: "That method is not allowed here.",
        413: "The request body is too large.",
    }
    message = messages.get(status, err.description or "Bad request.")
    body, status = error_response(message, status)
    # A 405 names the methods the URL does take (HTTP requires it; clients rely on it).
    allow = [(k, v) for k, v in err.get_headers() if k.lower() == "allow"]
    return body, status, allow


def _unexpected(err: Exception) -> ResponseReturnValue:
    log.exception("Unexpected error on %s %s", request.method, request.path)
    return error_response("Something went wrong on our side. Please try again.", 500)


def _known(status: int) -> Callable[[Exception], ResponseReturnValue]:
    def handler(err: Exception) -> ResponseReturnValue:
        return error_response(str(err), status)

    return handler


HANDLERS: dict[type[Exception], Callable[[Any], ResponseReturnValue]] = {
    Unavailable: _unavailable,
    OpenInvitation: _open_invitation,
    NotSignedIn: _not_signed_in,
    Refused: _refused,
    CSRFError: _csrf,
    HTTPException: _http,
    Exception: _unexpected,
}
