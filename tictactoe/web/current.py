"""What the current request runs on: the app's Backend, built once by create_app."""

from __future__ import annotations

from flask import current_app

from tictactoe.services.backend import Backend


def backend() -> Backend:
    """Return the current app's Backend."""
    found: Backend = current_app.extensions["tictactoe"]
    return found
