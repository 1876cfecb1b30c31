"""Load and validate the TOML file named by CONFIG_FILE into frozen Settings.

The package: settings.py (Settings, ConfigError, the environment variables), schema.py (the
sections and keys, the checks on their values), keys.py (the session keys). Standard library
only: scripts/bundle.py loads it without Flask.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from .keys import KeyReader, with_secret
from .schema import SCHEMA, check_push_url, check_url, origin
from .settings import (
    MIN_SECRET_LENGTH,
    PREVIOUS_SECRETS_ENV,
    PUBLIC_ORIGIN_ENV,
    PUSH_URL_ENV,
    SECRET_ENV,
    ConfigError,
    Settings,
)

__all__ = [
    "MIN_SECRET_LENGTH",
    "PREVIOUS_SECRETS_ENV",
    "PUBLIC_ORIGIN_ENV",
    "PUSH_URL_ENV",
    "SECRET_ENV",
    "ConfigError",
    "KeyReader",
    "Settings",
    "load",
    "load_without_secret",
    "origin",
    "parse",
    "with_secret",
]


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
    values = _values(path, raw)
    values["s3_endpoint"] = values.pop("endpoint_s3", None)
    from_env = os.environ.get(PUSH_URL_ENV)
    if from_env:
        check_push_url(PUSH_URL_ENV, from_env)
        values["push_url"] = from_env
    origin_from_env = os.environ.get(PUBLIC_ORIGIN_ENV)
    if origin_from_env:
        values["public_origin"] = origin(PUBLIC_ORIGIN_ENV, origin_from_env)
    public = values.get("public_origin")
    if values.get("force_https") and public and not public.startswith("https://"):
        raise ConfigError(
            f"{path}: [flask].force_https is on, so public_origin must be https://, got {public!r}"
        )
    return Settings(**values)


def _values(path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    """Return the file's values by Settings field, each checked; refuse unknown and missing keys."""
    values: dict[str, Any] = {}
    for section, table in raw.items():
        keys = SCHEMA.get(section)
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
                check_url(path, f"[{section}].{key}", value)
            if field == "push_url":
                check_push_url(f"{path}: [push].url", value)
            if field == "public_origin":
                value = origin(f"{path}: [flask].public_origin", value)
            values[field] = tuple(value) if isinstance(value, list) else value
    for section, keys in SCHEMA.items():
        for key, (field, _, required) in keys.items():
            if required and field not in values:
                raise ConfigError(f"{path}: missing required key [{section}].{key}")
    return values
