"""Maintenance mode: TICTACTOE_MAINTENANCE=read-only makes the game read-only.

Every state-changing request (POST, PUT, PATCH, DELETE: the API and the pages' forms alike)
is refused with 503, Retry-After and the banner's message, before its view runs, so nothing
is written: not a move, an invitation, a picture, nor a sign-up or a sign-in (a sign-in may
write too: a wrong password is counted, an old account claims its name's look-alike key).
Only signing out still works: it forgets the session cookie and writes nothing. Pages, game
lists, polls, pictures and /health keep working, and every page shows the banner.

The variables are read once, when the app starts. On Elastic Beanstalk an operator flips
them as environment properties, and Elastic Beanstalk restarts the app with them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from flask import Flask, current_app, request

from tictactoe.rules.refusals import Refused

log = logging.getLogger(__name__)

MODE_ENV = "TICTACTOE_MAINTENANCE"
MESSAGE_ENV = "TICTACTOE_MAINTENANCE_MESSAGE"
OFF = frozenset({"", "off", "false", "0", "no", "read-write"})
DEFAULT_MESSAGE = (
    "The game is read-only for maintenance: you can look at your games, but moves, "
    "invitations, sign-ins and sign-ups wait until it is over. Please try again in a few minutes."
)
RETRY_AFTER_SECONDS = 300
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Writes nothing in DynamoDB or S3: it only forgets the session.
STILL_ALLOWED = frozenset({"api.logout", "pages.logout"})
_MESSAGE_MAX = 500


class ReadOnly(Refused):
    """The game is read-only for maintenance (503, with Retry-After)."""

    status = 503


@dataclass(frozen=True)
class Maintenance:
    read_only: bool
    message: str


def from_environment(environ: dict[str, str] | None = None) -> Maintenance:
    """Read the mode and the banner's text.

    Any value but an "off" one means read-only, with a warning when it is not `read-only`
    itself: an operator who typed it meant maintenance, and refusing writes is the safe side
    (stopping the app over a typo would take the whole game down mid-migration).
    """
    env = os.environ if environ is None else environ
    mode = env.get(MODE_ENV, "").strip().lower()
    message = " ".join(env.get(MESSAGE_ENV, "").split())[:_MESSAGE_MAX] or DEFAULT_MESSAGE
    if mode in OFF:
        return Maintenance(False, message)
    if mode != "read-only":
        log.error("%s=%r is not 'read-only' or 'off': read-only it is", MODE_ENV, mode)
    return Maintenance(True, message)


def register(app: Flask) -> None:
    """Refuse changes while read-only, and show the banner on every page."""
    state = app.extensions["maintenance"] = from_environment()
    if state.read_only:
        log.warning("Maintenance mode: read-only (%s)", MODE_ENV)
        app.before_request(_refuse_changes)
    app.context_processor(lambda: {"maintenance": current_app.extensions["maintenance"]})


def _refuse_changes() -> None:
    # An unknown URL or method still gets its 404 or 405 (url_rule is None then).
    if request.method in CHANGES and request.url_rule and request.endpoint not in STILL_ALLOWED:
        state: Maintenance = current_app.extensions["maintenance"]
        raise ReadOnly(state.message, RETRY_AFTER_SECONDS)
