"""The session keys: from the environment, the file or an SSM parameter, checked for length."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .settings import (
    MIN_SECRET_LENGTH,
    PREVIOUS_SECRETS_ENV,
    SECRET_ENV,
    ConfigError,
    Settings,
)

log = logging.getLogger("tictactoe.config")  # the name the loader's warnings always had

# Reads the session keys from an SSM parameter: (settings, parameter name) -> keys, current
# first. Handed in by the caller (tictactoe/adapters/ssm.py), so this package imports no boto3:
# scripts/bundle.py loads it on its own.
KeyReader = Callable[[Settings, str], list[str]]


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
