"""The process's clients and stores, built once per process from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tictactoe.adapters import clients
from tictactoe.adapters.bucket import BucketOwner, Objects
from tictactoe.adapters.bus import Bus
from tictactoe.adapters.presence import Presence
from tictactoe.config import Settings
from tictactoe.rules import notices
from tictactoe.services.hub import Hub
from tictactoe.store import Games, Ladder, Pairing, Pictures, Users


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
    pairing: Pairing  # Play now: the waiting player and the pairing (items of the Games table)
    hub: Hub | None = None  # the streams of this process; None: push is off
    presence: Presence | None = None  # who has each game open; None: push is off


def build(settings: Settings) -> Backend:
    """Create the clients and the stores that use them (and the push hub, when push is on)."""
    session = clients.session(settings)
    dynamodb = clients.dynamodb(settings)  # on a session of its own: its own parser
    s3 = clients.s3(settings, session)
    owner = BucketOwner(settings.expected_bucket_owner, lambda: clients.sts(settings, session))
    games = Games(
        dynamodb,
        settings.games_table,
        settings.invitation_expiry_seconds,
        settings.users_table,
        settings.turn_timeout_seconds,
    )
    users = Users(dynamodb, settings.users_table)
    return Backend(
        settings=settings,
        dynamodb=dynamodb,
        s3=s3,
        games=games,
        users=users,
        pictures=Pictures(dynamodb, settings.avatars_table),
        bucket=Objects(s3, settings.bucket, settings.bucket_region, owner),
        ladder=Ladder(dynamodb, settings.users_table),
        pairing=Pairing(dynamodb, settings.games_table, games, settings.quick_play_wait_seconds),
        **_push(settings, games, users),
    )


def _push(settings: Settings, games: Games, users: Users) -> dict[str, Any]:
    """Turn push on: every change the stores write is announced; the hub feeds the streams,
    and presence says who has each game open. Nothing, with push off."""
    if not settings.push_url:
        return {}
    secret_keys = (settings.secret_key, *settings.previous_secret_keys)
    bus = Bus(str(settings.push_url), keys=tuple(notices.key(s) for s in secret_keys if s))
    games.announce = bus.publish
    users.announce = bus.publish
    presence = Presence(str(settings.push_url), settings.presence_seconds)
    hub = Hub(bus, lambda game_id, version: games.get(game_id, at_least=version), presence)
    return {"hub": hub, "presence": presence}
