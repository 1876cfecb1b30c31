"""Use cases wired once to the app's stores and the session, for the API and the pages alike.

A use case that needs more than one store, the sign-in limits, or a change to the session
afterwards is wired here, so the JSON view and the form view cannot drift apart: each parses
its own request and answers in its own way, and both call the same function in between.
"""

from __future__ import annotations

from tictactoe.rules.board import Game
from tictactoe.services import accounts, games, pictures
from tictactoe.store import PictureRecord, User
from tictactoe.web import auth
from tictactoe.web.current import backend
from tictactoe.web.layers import limits


def register(name: object, password: object) -> User:
    """Create the account (through the sign-up limits) and sign it in here."""
    user = accounts.register(backend().users, name, password, limits.gate())
    auth.sign_in(user)
    return user


def login(name: object, password: object) -> User:
    """Check the password (through the login limits) and sign the player in here."""
    user = accounts.login(backend().users, name, password, limits.gate())
    auth.sign_in(user)
    return user


def change_password(user: User, current: object, new: object) -> None:
    """Change the password; this session stays signed in, every other one ends."""
    auth.renew(accounts.change_password(backend().users, user, current, new, limits.gate()))


def sign_out_everywhere(user: User) -> None:
    """End every session of the player, this one too."""
    accounts.sign_out_everywhere(backend().users, user)
    auth.sign_out()


def delete_account(user: User, password: object) -> None:
    """Delete the account and everything of it the stores hold, then sign out here."""
    b = backend()
    accounts.delete_account(
        b.users, b.games, b.pairing, b.pictures, b.bucket, user, password, limits.gate()
    )
    auth.sign_out()


def set_picture(player: str, data: bytes, filename: str | None) -> PictureRecord:
    """Make the upload the player's picture; the session learns its hash for the header."""
    b = backend()
    record = pictures.set_picture(b.pictures, b.bucket, b.users, player, data, filename)
    auth.set_my_picture(record.picture_id)
    return record


def remove_picture(player: str) -> None:
    """Go back to the default picture, here and in the session."""
    b = backend()
    pictures.remove_picture(b.pictures, b.bucket, b.users, player)
    auth.set_my_picture(None)


def invite(opponent: object) -> Game:
    """Invite `opponent` to a game hosted by the signed-in player."""
    b = backend()
    return games.invite(b.games, b.users, auth.player(), opponent, auth.my_picture())
