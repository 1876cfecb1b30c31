"""The frozen Settings the app runs on, the error every mistake raises, and the environment
variables that win over the file."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

SECRET_ENV = "TICTACTOE_SECRET_KEY"
PREVIOUS_SECRETS_ENV = "TICTACTOE_PREVIOUS_SECRET_KEYS"  # comma-separated, newest first
# The push bus ([push].url): the environment property wins over the file, so Elastic
# Beanstalk can hand the app the cache endpoint it created (.ebextensions/04-push.config).
PUSH_URL_ENV = "TICTACTOE_PUSH_URL"
# [flask].public_origin, likewise: an environment's address is known only once it exists, so
# an operator can set it as an environment property without building another bundle.
PUBLIC_ORIGIN_ENV = "TICTACTOE_PUBLIC_ORIGIN"
# A session key anyone could guess or brute-force lets them sign a cookie for any player.
MIN_SECRET_LENGTH = 32


class ConfigError(Exception):
    """The configuration is unusable; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    region: str
    endpoint: str | None = None
    games_table: str = "Games"
    users_table: str = "Users"
    avatars_table: str = "Avatars"
    bucket: str = "tictactoe-avatars"
    s3_endpoint: str | None = None
    s3_region: str | None = None
    secret_key: str | None = None
    secret_key_parameter: str | None = None  # an SSM SecureString holding the keys instead
    previous_secret_keys: tuple[str, ...] = ()  # still accepted on cookies, never used to sign
    force_https: bool = False
    trusted_proxies: int = 0  # proxies in front of gunicorn that append to X-Forwarded-For
    # scheme://host[:port] players use: absolute links and the HTTPS redirect are built from
    # it, and requests naming another host are refused. None: the request's Host is used.
    public_origin: str | None = None
    expected_bucket_owner: str | None = None  # the bucket's AWS account id, when set
    invitation_expiry_seconds: int = 7 * 24 * 3600
    turn_timeout_seconds: int = 3 * 24 * 3600  # the waiting player may then claim the win
    quick_play_wait_seconds: int = 60  # a "Play now" wait that no one answered lapses
    # The player to move who has been away (no page of the game open) this long, while it is
    # their turn, loses the game to a claim (push on; else only turn_timeout_seconds counts).
    away_claim_seconds: int = 60
    # [limits]: 0 switches a limit off.
    failed_logins_per_account: int = 10  # per account and client, per 15 minutes
    login_attempts_per_client: int = 60  # per minute, any account
    signups_per_client: int = 20  # per hour
    # [push]: the Redis/Valkey bus that carries "this game changed" between instances; None:
    # push is off, the streams answer 503 and pages poll.
    push_url: str | None = None
    # How long a page's presence outlives its last refresh: a dead instance's players count
    # as gone within this (refreshed every third of it while the page is open).
    presence_seconds: int = 10

    @property
    def bucket_region(self) -> str:
        return self.s3_region or self.region

    @property
    def is_local(self) -> bool:
        """Return True when endpoints are configured and all of them are on loopback."""
        endpoints = [e for e in (self.endpoint, self.s3_endpoint) if e]
        return bool(endpoints) and all(_is_loopback(e) for e in endpoints)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
