"""Load and validate the TOML file named by CONFIG_FILE into frozen Settings."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

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
    # [limits]: 0 switches a limit off.
    failed_logins_per_account: int = 10  # per account and client, per 15 minutes
    login_attempts_per_client: int = 60  # per minute, any account
    signups_per_client: int = 20  # per hour
    # [push]: the Redis/Valkey bus that carries "this game changed" between instances; None:
    # push is off, the streams answer 503 and pages poll.
    push_url: str | None = None

    @property
    def bucket_region(self) -> str:
        return self.s3_region or self.region

    @property
    def is_local(self) -> bool:
        """Return True when endpoints are configured and all of them are on loopback."""
        endpoints = [e for e in (self.endpoint, self.s3_endpoint) if e]
        return bool(endpoints) and all(_is_loopback(e) for e in endpoints)


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
_SCHEMA: dict[str, dict[str, tuple[str, tuple[Any, str], bool]]] = {
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
    },
    "limits": {
        "failed_logins_per_account": ("failed_logins_per_account", _COUNT, False),
        "login_attempts_per_client": ("login_attempts_per_client", _COUNT, False),
        "signups_per_client": ("signups_per_client", _COUNT, False),
    },
    "push": {
        "url": ("push_url", _TEXT, False),
    },
}


# Reads the session keys from an SSM parameter: (settings, parameter name) -> keys, current
# first. Handed in by the caller (tictactoe/adapters/ssm.py), so this module imports no boto3:
# scripts/bundle.py loads it on its own.
KeyReader = Callable[["Settings", str], list[str]]


def load(
    path: str | os.PathLike[str] | None = None, read_keys: KeyReader | None = None
) -> Settings:
    """Read CONFIG_FILE (or `path`), validate it and resolve the secret key (from SSM through
    `read_keys` when the file names a parameter)."""
    found = _config_file(path)
    return with_secret(parse(found), found, read_keys)


def load_without_secret(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read CONFIG_FILE (or `path`) for a tool that signs no cookies (export, import)."""
    return parse(_config_file(path))


def _config_file(path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        path = os.environ.get("CONFIG_FILE")
        if not path:
            raise ConfigError("CONFIG_FILE is not set: name a TOML file such as beanstalk.toml")
    return Path(path)


def parse(path: Path) -> Settings:
    """Parse one TOML file into Settings, naming the file and key on any mistake."""
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the file ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from err

    values: dict[str, Any] = {}
    for section, table in raw.items():
        keys = _SCHEMA.get(section)
        if keys is None:
            raise ConfigError(f"{path}: unknown section [{section}]")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(f"{path}: unknown key [{section}].{key}")
            field, (valid, kind), _ = keys[key]
            if not valid(value):
                raise ConfigError(f"{path}: [{section}].{key} must be {kind}")
            if key == "endpoint":
                _check_url(path, f"[{section}].{key}", value)
            if section == "push":
                _check_push_url(f"{path}: [push].url", value)
            if field == "public_origin":
                value = _origin(f"{path}: [flask].public_origin", value)
            values[field] = tuple(value) if isinstance(value, list) else value
    for section, keys in _SCHEMA.items():
        for key, (field, _, required) in keys.items():
            if required and field not in values:
                raise ConfigError(f"{path}: missing required key [{section}].{key}")
    values["s3_endpoint"] = values.pop("endpoint_s3", None)
    from_env = os.environ.get(PUSH_URL_ENV)
    if from_env:
        _check_push_url(PUSH_URL_ENV, from_env)
        values["push_url"] = from_env
    origin_from_env = os.environ.get(PUBLIC_ORIGIN_ENV)
    if origin_from_env:
        values["public_origin"] = _origin(PUBLIC_ORIGIN_ENV, origin_from_env)
    origin = values.get("public_origin")
    if values.get("force_https") and origin and not origin.startswith("https://"):
        raise ConfigError(
            f"{path}: [flask].force_https is on, so public_origin must be https://, got {origin!r}"
        )
    return Settings(**values)


def with_secret(settings: Settings, path: Path, read_keys: KeyReader | None = None) -> Settings:
    """Resolve the session keys, or generate one for a purely local stack, or refuse.

    Outside a local stack every key, current or previous, must be long enough.
    """
    key, previous, source = _keys(settings, path, read_keys)
    if not key and settings.is_local:
        log.warning(
            "No secret_key configured: generated a random one. Sessions will not survive a "
            "restart and are not shared between processes. Set [flask].secret_key or %s.",
            SECRET_ENV,
        )
        key = secrets.token_urlsafe(32)
    if not key:
        raise ConfigError(
            f"{path}: missing [flask].secret_key. gunicorn runs several workers and a load "
            "balancer runs several instances; each must sign session cookies with the same "
            f"key, or logins fail at random. Set [flask].secret_key in the file or the "
            f"{SECRET_ENV} environment variable (scripts/bundle.py writes one into the bundle "
            "for you), or name an SSM parameter in [flask].secret_key_parameter."
        )
    if not settings.is_local:
        _check_length(path, source[0], key)
        for old in previous:
            _check_length(path, f"a key in {source[1]}", old)
    return replace(settings, secret_key=key, previous_secret_keys=tuple(previous))


def _keys(
    settings: Settings, path: Path, read_keys: KeyReader | None
) -> tuple[str | None, tuple[str, ...], tuple[str, str]]:
    """Return the current key, the previous ones, and where each came from.

    TICTACTOE_SECRET_KEY and TICTACTOE_PREVIOUS_SECRET_KEYS, when set, win over the file (so a
    deployment can keep its keys out of the bundle, in environment properties); the file's
    keys win over [flask].secret_key_parameter, which is read only when it is needed.
    """
    env_key, env_previous = os.environ.get(SECRET_ENV), _previous_from_env()
    if settings.secret_key and settings.secret_key_parameter:
        raise ConfigError(f"{path}: set [flask].secret_key or secret_key_parameter, not both")
    stored: list[str] = []
    name = settings.secret_key_parameter
    if name and not env_key:
        if read_keys is None:
            raise ConfigError(
                f"{path}: [flask].secret_key_parameter is set, but this tool reads no SSM"
            )
        try:
            stored = read_keys(settings, name)
        except ConfigError as err:
            raise ConfigError(f"{path}: [flask].secret_key_parameter: {err}") from err
    parameter = f"the SSM parameter {name}"
    key = env_key or settings.secret_key or (stored[0] if stored else None)
    where = SECRET_ENV if env_key else parameter if stored else "[flask].secret_key"
    previous = env_previous or settings.previous_secret_keys or tuple(stored[1:])
    before = (
        PREVIOUS_SECRETS_ENV
        if env_previous
        else "[flask].previous_secret_keys"
        if settings.previous_secret_keys
        else parameter
    )
    return key, previous, (where, before)


def _previous_from_env() -> tuple[str, ...]:
    raw = os.environ.get(PREVIOUS_SECRETS_ENV, "")
    return tuple(k.strip() for k in raw.split(",") if k.strip())


def _check_length(path: Path, where: str, key: str) -> None:
    if len(key) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{path}: {where} is {len(key)} characters; a deployed app needs at least "
            f'{MIN_SECRET_LENGTH} (make one with: python -c "import secrets; '
            'print(secrets.token_urlsafe(48))")'
        )


def _check_url(path: Path, name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{path}: {name} must be an http(s) URL, got {value!r}")


def _check_push_url(name: str, value: str) -> None:
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


def _origin(name: str, value: str) -> str:
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


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
