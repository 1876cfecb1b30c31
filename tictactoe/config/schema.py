"""What the file may hold: each section's keys, the kind of value each takes, and the checks
on URLs and the public origin."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .settings import ConfigError

# The kinds of value a key may hold: (check, what the message says it must be).
_TEXT = (lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
_COUNT = (
    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "a whole number, 0 or more",
)
_SECONDS = (
    lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "a whole number of seconds, more than 0",
)
_FLAG = (lambda v: isinstance(v, bool), "true or false")
_TEXTS = (
    lambda v: isinstance(v, list) and all(_TEXT[0](x) for x in v),
    "a list of non-empty strings",
)
_ACCOUNT = (
    lambda v: isinstance(v, str) and len(v) == 12 and v.isdigit(),
    "a 12-digit AWS account id",
)

# section -> key -> (Settings field, kind, required)
SCHEMA: dict[str, dict[str, tuple[str, tuple[Any, str], bool]]] = {
    "dynamodb": {
        "region": ("region", _TEXT, True),
        "endpoint": ("endpoint", _TEXT, False),
        "games_table": ("games_table", _TEXT, False),
        "users_table": ("users_table", _TEXT, False),
        "avatars_table": ("avatars_table", _TEXT, False),
    },
    "s3": {
        "bucket": ("bucket", _TEXT, False),
        "endpoint": ("endpoint_s3", _TEXT, False),
        "region": ("s3_region", _TEXT, False),
        "expected_bucket_owner": ("expected_bucket_owner", _ACCOUNT, False),
    },
    "flask": {
        "secret_key": ("secret_key", _TEXT, False),
        "secret_key_parameter": ("secret_key_parameter", _TEXT, False),
        "previous_secret_keys": ("previous_secret_keys", _TEXTS, False),
        "force_https": ("force_https", _FLAG, False),
        "trusted_proxies": ("trusted_proxies", _COUNT, False),
        "public_origin": ("public_origin", _TEXT, False),
    },
    "game": {
        "invitation_expiry_seconds": ("invitation_expiry_seconds", _SECONDS, False),
        "turn_timeout_seconds": ("turn_timeout_seconds", _SECONDS, False),
        "quick_play_wait_seconds": ("quick_play_wait_seconds", _SECONDS, False),
        "away_claim_seconds": ("away_claim_seconds", _SECONDS, False),
    },
    "limits": {
        "failed_logins_per_account": ("failed_logins_per_account", _COUNT, False),
        "login_attempts_per_client": ("login_attempts_per_client", _COUNT, False),
        "signups_per_client": ("signups_per_client", _COUNT, False),
    },
    "push": {
        "url": ("push_url", _TEXT, False),
        "presence_seconds": ("presence_seconds", _SECONDS, False),
    },
}


def check_url(path: Path, name: str, value: str) -> None:
    """Refuse an endpoint that is not an http(s) URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{path}: {name} must be an http(s) URL, got {value!r}")


def check_push_url(name: str, value: str) -> None:
    """Refuse anything but redis://host[:port][/db] or rediss:// (TLS, as ElastiCache wants)."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number: {value!r}") from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(f"{name} must be a redis:// or rediss:// URL, got {value!r}")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ConfigError(f"{name}: the database (after the host) must be a number, got {value!r}")


def origin(name: str, value: str) -> str:
    """Return `value` as scheme://host[:port], or refuse anything more or less than that."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number: {value!r}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "?" in value
        or "#" in value
    ):
        raise ConfigError(
            f"{name} must be the address players use, scheme and host only, such as "
            f"https://tictactoe.example.com, got {value!r}"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
