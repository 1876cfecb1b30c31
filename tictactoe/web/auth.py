"""Who is asking: the signed-in player, kept in the signed session cookie."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import session


class NotSignedIn(Exception):
    """The request needs a signed-in player (401)."""


def sign_in(name: str, picture: str | None = None) -> None:
    """Start a fresh session for `name` (a new cookie, so an old one cannot be replayed)."""
    session.clear()
    session["player"] = name
    session["picture"] = picture
    session.permanent = True


def my_picture() -> str | None:
    """Return the content hash of the signed-in player's picture, as of their last change."""
    digest = session.get("picture")
    return digest if isinstance(digest, str) else None


def set_my_picture(digest: str | None) -> None:
    session["picture"] = digest


def sign_out() -> None:
    session.clear()


def current_player() -> str | None:
    player = session.get("player")
    return player if isinstance(player, str) else None


def player() -> str:
    """Return the signed-in player, or raise NotSignedIn."""
    name = current_player()
    if name is None:
        raise NotSignedIn("sign in first")
    return name


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse the view with 401 unless a player is signed in."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        player()
        return view(*args, **kwargs)

    return wrapper
