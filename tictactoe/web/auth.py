"""Who is asking: the signed-in player, kept in the signed session cookie.

The session holds the player, the account it was issued for and that account's session
epoch, when they signed in and when the session was last checked against their Users item.
Before each request, `check_session` ends a session that is too old or went unused too long,
and at most once every accounts.RECHECK_SECONDS reads the account to see whether the session
was revoked. The check time changes the session, so the cookie is re-signed at most that
often (the app re-signs only changed sessions). Sensitive actions call `fresh_user()`, which
always reads the account, strongly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, session

from tictactoe.services import accounts
from tictactoe.store import User
from tictactoe.web.current import backend

clock: Callable[[], float] = time.time  # seconds since the epoch; tests move it along


class NotSignedIn(Exception):
    """The request needs a signed-in player (401)."""


def register(app: Flask) -> None:
    """Check each request's session; let the cookie outlive the browser, for the idle time."""
    # The cookie's Max-Age, and the age past which Flask refuses its signature: it is
    # re-signed at least once a minute while in use, so this is the idle limit.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=accounts.IDLE_SECONDS)
    app.before_request(check_session)


def sign_in(user: User) -> None:
    """Start a fresh session for `user` (a new cookie, so an old one cannot be replayed)."""
    now = int(clock())
    session.clear()
    session.update(player=user.name, picture=user.picture, account=user.created_at,
                   epoch=user.epoch, since=now, checked=now)  # fmt: skip
    session.permanent = True


def renew(epoch: int) -> None:
    """Keep this session signed in across an epoch it caused (a password change)."""
    session["epoch"] = epoch
    session["checked"] = int(clock())


def check_session() -> None:
    """End the session if it expired or, when a check is due, if it was revoked."""
    if "player" not in session:
        return
    claims, now = holder(), clock()
    if claims is None or claims.expired(now):
        sign_out()
    elif claims.due(now):
        if accounts.check(backend().users, claims) is None:
            sign_out()
        else:
            session["checked"] = int(now)


def fresh_user() -> User:
    """Return the signed-in player's account, read strongly; raise NotSignedIn (and sign out)
    if the session was revoked. For sensitive actions."""
    claims = holder()
    user = accounts.check(backend().users, claims, consistent=True) if claims else None
    if user is None:
        sign_out()
        raise NotSignedIn("your session has ended; sign in again")
    session["checked"] = int(clock())
    return user


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


def fresh(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse the view with 401 unless the session is signed in and still valid right now."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fresh_user()
        return view(*args, **kwargs)

    return wrapper


def holder() -> accounts.Holder | None:
    """Read the session's claims; None when any is missing (a session from before epochs)."""
    values = [session.get(k) for k in ("player", "account", "epoch", "since", "checked")]
    name, account, epoch, since, checked = values
    if not (isinstance(name, str) and isinstance(account, str) and isinstance(epoch, int)
            and isinstance(since, int) and isinstance(checked, int)):  # fmt: skip
        return None
    return accounts.Holder(name, account, epoch, since, checked)
