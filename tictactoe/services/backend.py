"""The process's clients and stores, built once per process from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from tictactoe.adapters import clients as aws
from tictactoe.adapters.bucket import BucketOwner, Objects
from tictactoe.config import Settings
from tictactoe.store import Avatars, Games, Ladder, Users


@dataclass(frozen=True)
class Backend:
    settings: Settings
    dynamodb: Any
    s3: Any
    games: Games
    users: Users
    avatars: Avatars
    pictures: Objects  # the avatar bucket's objects
    ladder: Ladder  # players' results and the leaderboard (reads of Users)


def build(settings: Settings) -> Backend:
    """Create the clients and the stores that use them."""
    session = aws.session(settings)
    dynamodb = aws.dynamodb(settings, session)
    s3 = aws.s3(settings, session)
    owner = BucketOwner(settings.expected_bucket_owner, lambda: aws.sts(settings, session))
    return Backend(
        settings=settings,
        dynamodb=dynamodb,
        s3=s3,
        games=Games(
            dynamodb,
            settings.games_table,
            settings.invitation_expiry_seconds,
            settings.users_table,
            settings.turn_timeout_seconds,
        ),
        users=Users(dynamodb, settings.users_table),
        avatars=Avatars(dynamodb, settings.avatars_table),
        pictures=Objects(s3, settings.bucket, settings.avatar_region, owner),
        ladder=Ladder(dynamodb, settings.users_table),
    )


def backend() -> Backend:
    """Return the current app's Backend."""
    found: Backend = current_app.extensions["tictactoe"]
    return found
