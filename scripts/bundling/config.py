"""The config that goes into the bundle: validated by the app's own loader, with its key.

The repository's beanstalk.toml is never changed; the session key (generated, from
TICTACTOE_SECRET_KEY, or none with --no-secret), force_https (with --certificate-arn) and
public_origin (--public-origin) go into the bundled copy only. Standard library only.
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]  # the repository: two folders up
CONFIG_NAME = "beanstalk.toml"  # the name .ebextensions gives CONFIG_FILE


def _app_config() -> ModuleType:
    """Return the app's own config loader, the package tictactoe/config/.

    Importing it through the app's package needs Flask (tictactoe/__init__.py imports it), so
    without the app's requirements the package is loaded on its own, under a name of its own:
    it uses only the standard library, and a plain Python 3.11 can build the bundle.
    """
    if str(ROOT) not in sys.path:  # run as `python scripts/bundle.py` from anywhere
        sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("tictactoe.config")
    except ImportError:
        folder = ROOT / "tictactoe" / "config"
        spec = importlib.util.spec_from_file_location(
            "tictactoe_config", folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module


_config = _app_config()
SECRET_ENV: str = _config.SECRET_ENV
PREVIOUS_SECRETS_ENV: str = _config.PREVIOUS_SECRETS_ENV
ConfigError: type[Exception] = _config.ConfigError
if TYPE_CHECKING:  # the loader above is the app's own: check against its types
    from tictactoe.config import Settings as Settings  # re-exported: the other parts use it
    from tictactoe.config import parse as parse
else:
    Settings = _config.Settings
    parse = _config.parse


class BundleError(Exception):
    """The bundle cannot be built; the message says why."""


def secret_from_env(name: str = SECRET_ENV) -> str:
    """Return the session key held by the environment variable `name`, checked like the app's."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise BundleError(f"--secret-from-env wants an environment variable name, got {name!r}")
    secret = os.environ.get(name, "")
    if not secret:
        raise BundleError(f"--secret-from-env: the environment variable {name} is not set")
    if len(secret) < _config.MIN_SECRET_LENGTH:
        raise BundleError(f"{name} is too short for a session key: use 32+ characters")
    if any(not c.isprintable() for c in secret):
        raise BundleError(f"{name} holds control characters")
    return secret


def bundled_config(
    path: Path,
    secret: str | None = None,
    *,
    no_secret: bool = False,
    force_https: bool = False,
    key_parameter: str | None = None,
    public_origin: str | None = None,
) -> tuple[str, Settings, bool]:
    """Return the config text to bundle, its Settings, and whether a key was generated.

    The file on disk is never changed: the key, the key's parameter (`key_parameter`, named in
    [flask].secret_key_parameter), force_https and `public_origin` go into the returned copy
    only.
    """
    settings = parse(path)  # the app's own loader: same rules, same messages
    text = path.read_text(encoding="utf-8")
    _refuse_loopback(path, settings)
    text, generated = _with_keys(path, settings, text, secret, no_secret, key_parameter)
    if force_https:
        text = _with_force_https(path, settings, text)
    if public_origin is not None:
        text = _with_public_origin(path, settings, text, public_origin, force_https)
    if text != path.read_text(encoding="utf-8"):
        settings = _parse_text(text, path)
    return text, settings, generated


def _with_keys(
    path: Path,
    settings: Settings,
    text: str,
    secret: str | None,
    no_secret: bool,
    key_parameter: str | None,
) -> tuple[str, bool]:
    """Return `text` with the session key or its parameter, and whether a key was generated."""
    if no_secret:
        _refuse_keys(path, settings)
    if key_parameter is not None:
        text = _with_key_parameter(path, settings, text, key_parameter)
    elif (settings.secret_key or settings.secret_key_parameter) and secret is not None:
        raise BundleError(
            f"{path} already has [flask].secret_key or secret_key_parameter; remove it or drop "
            "--secret-from-env"
        )
    # A key named by secret_key_parameter is read at start-up: the bundle needs none.
    needs_key = not (
        no_secret or key_parameter or settings.secret_key or settings.secret_key_parameter
    )
    if needs_key:
        text = with_secret_key(text, secret or secrets.token_urlsafe(48))
    return text, needs_key and secret is None


def _refuse_loopback(path: Path, settings: Settings) -> None:
    """Refuse a local stack's config: on Elastic Beanstalk loopback is the instance itself."""
    for name, url in (
        ("[dynamodb].endpoint", settings.endpoint),
        ("[s3].endpoint", settings.s3_endpoint),
    ):
        if url and _is_loopback(url):
            raise BundleError(
                f"{path}: {name} is {url}, a loopback address; on Elastic Beanstalk that is the "
                "instance itself. Bundle a production config such as beanstalk.toml"
            )


def _with_force_https(path: Path, settings: Settings, text: str) -> str:
    """Return `text` with [flask].force_https on, as --certificate-arn needs."""
    if not settings.trusted_proxies:
        raise BundleError(
            f"{path}: --certificate-arn needs [flask].trusted_proxies (2: the load balancer and "
            "nginx); with 0 the app ignores X-Forwarded-Proto, sees every request as plain "
            "HTTP and redirects it forever"
        )
    if settings.force_https:
        return text
    if re.search(r"^[ \t]*force_https[ \t]*=", text, flags=re.MULTILINE):
        raise BundleError(
            f"{path} sets [flask].force_https = false; remove it or drop --certificate-arn"
        )
    return with_flask_line(text, "force_https = true")


def _with_key_parameter(path: Path, settings: Settings, text: str, name: str) -> str:
    """Return `text` naming the SSM parameter `name` in [flask].secret_key_parameter."""
    if settings.secret_key or settings.previous_secret_keys:
        raise BundleError(
            f"{path} holds session keys in [flask], but this bundle reads its key from the SSM "
            f"parameter {name}: remove them (or build with --secret-from-env)"
        )
    if settings.secret_key_parameter == name:
        return text
    if settings.secret_key_parameter:
        raise BundleError(
            f"{path} names the SSM parameter {settings.secret_key_parameter}, not {name}: "
            "change one of them (--secret-parameter chooses the name)"
        )
    return with_flask_line(text, 'secret_key_parameter = "' + name + '"')


def _with_public_origin(
    path: Path, settings: Settings, text: str, origin: str, force_https: bool
) -> str:
    """Return `text` with [flask].public_origin set to `origin`, checked as the app checks it."""
    origin = _config.origin("--public-origin", origin)
    if (force_https or settings.force_https) and not origin.startswith("https://"):
        raise BundleError(
            f"--public-origin {origin}: the bundle redirects to HTTPS (--certificate-arn or "
            "[flask].force_https), so players' address must be https:// too"
        )
    if re.search(r"^[ \t]*public_origin[ \t]*=", text, flags=re.MULTILINE):
        if settings.public_origin == origin:
            return text
        raise BundleError(
            f"{path} sets [flask].public_origin to {settings.public_origin}, not {origin}: "
            "change one of them"
        )
    return with_flask_line(text, 'public_origin = "' + origin + '"')


def _refuse_keys(path: Path, settings: Settings) -> None:
    """--no-secret promises a zip without keys: refuse a config that holds any."""
    if settings.secret_key:
        raise BundleError(
            f"{path} has [flask].secret_key, and --no-secret promises a bundle without one: "
            f"remove it and set {SECRET_ENV} as an environment property"
        )
    if settings.previous_secret_keys:
        raise BundleError(
            f"{path} has [flask].previous_secret_keys, which still sign players in: with "
            f"--no-secret, move them to the {PREVIOUS_SECRETS_ENV} environment property"
        )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_secret_key(text: str, secret: str) -> str:
    """Return the TOML `text` with [flask].secret_key set (it must not be set already)."""
    return with_flask_line(
        text, 'secret_key = "' + secret.replace("\\", "\\\\").replace('"', '\\"') + '"'
    )


def with_flask_line(text: str, line: str) -> str:
    """Return the TOML `text` with `line` at the top of its [flask] table (made if missing)."""
    header = re.search(r"^[ \t]*\[flask\][ \t]*(#.*)?$", text, flags=re.MULTILINE)
    if header:
        return text[: header.end()] + "\n" + line + text[header.end() :]
    return text.rstrip("\n") + "\n\n[flask]\n" + line + "\n"


def _parse_text(text: str, origin: Path) -> Settings:
    """Validate the text that goes into the bundle with the app's loader."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / CONFIG_NAME
        copy.write_text(text, encoding="utf-8")
        try:
            return parse(copy)
        except ConfigError as err:
            raise BundleError(f"{origin}: the bundled copy is invalid: {err}") from err
