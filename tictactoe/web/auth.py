"""Who is asking: the signed-in player, kept in the signed session cookie.

The session holds the player, the account it was issued for and that account's session
epoch, its own id, when they signed in and when the session was last checked against their
Users item. Before each request, `check_session` ends a session that is too old or went
unused too long, and at most once every accounts.RECHECK_SECONDS reads the account to see
whether the session was revoked or signed out. The check time changes the session, so the
cookie is re-signed at most that often (the app re-signs only changed sessions). Sensitive
actions call `fresh_user()`, which always reads the account, strongly. Signing out
(`end_session`) lists the session's id on the account, so a copy of the cookie stops too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, session

from tictactoe.services import accounts
from tictactoe.store import StoreError, User
from tictactoe.web.current import backend

log = logging.getLogger(__name__)
P = ParamSpec("P")  # a view's parameters, kept by the decorators
R = TypeVar("R")  # and its return value

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
    session.update(
        player=user.name,
        picture=user.picture,
        account=user.created_at,
        epoch=user.epoch,
        since=now,
        checked=now,
        sid=accounts.new_session_id(),
    )
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
            if claims.session is None:  # a session from before ids: from now on it has one
                session["sid"] = accounts.new_session_id()


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
    """Forget the session in this browser (the server's checks end it elsewhere)."""
    session.clear()


def end_session() -> None:
    """Sign out: end this session on the server, so a copy of its cookie stops working within
    accounts.RECHECK_SECONDS, then forget it here.

    Best effort on the server: the browser is signed out even when DynamoDB is not answering,
    and in read-only maintenance, which writes nothing.
    """
    claims = holder()
    maintenance = current_app.extensions.get("maintenance")
    if claims is not None and not (maintenance and maintenance.read_only):
        try:
            accounts.end_session(backend().users, claims, clock())
        except StoreError as err:
            log.warning("Could not end the session of %s on the server: %s", claims.name, err)
    sign_out()


def current_player() -> str | None:
    player = session.get("player")
    return player if isinstance(player, str) else None


def player() -> str:
    """Return the signed-in player, or raise NotSignedIn."""
    name = current_player()
    if name is None:
        raise NotSignedIn("sign in first")
    return name


def signed_in(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse the view with 401 unless a player is signed in."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        player()
        return view(*args, **kwargs)

    return wrapper


def fresh(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse the view with 401 unless the session is signed in and still valid right now."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        fresh_user()
        return view(*args, **kwargs)

    return wrapper


def holder() -> accounts.Holder | None:
    """Read the session's claims; None when any is missing (a session from before epochs)."""
    values = [session.get(k) for k in ("player", "account", "epoch", "since", "checked")]
    name, account, epoch, since, checked = values
    if not (
        isinstance(name, str)
        and isinstance(account, str)
        and isinstance(epoch, int)
        and isinstance(since, int)
        and isinstance(checked, int)
    ):
        return None
    sid = session.get("sid")
    return accounts.Holder(
        name, account, epoch, since, checked, sid if isinstance(sid, str) else None
    )
