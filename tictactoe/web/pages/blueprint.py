"""The pages' one blueprint, and how a form post that worked answers: a redirect with 303."""

from __future__ import annotations

from flask import Blueprint, redirect
from werkzeug.wrappers import Response

# One blueprint for both halves, so every endpoint stays `pages.<view>` for the templates.
bp = Blueprint("pages", __name__)


def see(location: str) -> Response:
    """Redirect after a post with 303, so a reload never posts twice."""
    return redirect(location, code=303)
