"""The process's clients and stores, built once per process from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from tictactoe.adapters import clients
from tictactoe.adapters.bucket import BucketOwner, Objects
from tictactoe.config import Settings
from tictactoe.store import Games, Ladder, Pictures, Users


@dataclass(frozen=True)
class Backend:
    settings: Settings
    dynamodb: Any
    s3: Any
    games: Games
    users: Users
    pictures: Pictures  # the Avatars table
    bucket: Objects  # the picture bucket's objects
    ladder: Ladder  # players' results and the leaderboard (reads of Users)


def build(settings: Settings) -> Backend:
    """Create the clients and the stores that use them."""
    session = clients.session(settings)
    dynamodb = clients.dynamodb(settings, session)
    s3 = clients.s3(settings, session)
    owner = BucketOwner(settings.expected_bucket_owner, lambda: clients.sts(settings, session))
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
        pictures=Pictures(dynamodb, settings.avatars_table),
        bucket=Objects(s3, settings.bucket, settings.avatar_region, owner),
        ladder=Ladder(dynamodb, settings.users_table),
    )


def backend() -> Backend:
    """Return the current app's Backend."""
    found: Backend = current_app.extensions["tictactoe"]
    return found
