"""Two-player Tic-Tac-Toe on DynamoDB: the application factory."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from tictactoe import config, logs, web
from tictactoe.adapters import ssm
from tictactoe.config import ConfigError, Settings
from tictactoe.services.backend import Backend, build
from tictactoe.store import ensure_tables
from tictactoe.store.errors import StoreError, Unavailable
from tictactoe.web.layers import hosts, https, limits, maintenance, requestlog
from tictactoe.web.layers.csrf import RotatingCSRFProtect

log = logging.getLogger(__name__)


class _KeptKeys(TimestampSigner):
    """itsdangerous's TimestampSigner, deriving each key once per process instead of on every
    cookie: the same HMAC of the same salt, so the signature is unchanged."""

    _derived: dict[tuple[object, ...], bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        found = (
            self.secret_keys[-1] if secret_key is None else secret_key,
            self.salt,
            self.key_derivation,
            self.digest_method,
        )
        key = self._derived.get(found)
        if key is None:
            key = self._derived[found] = super().derive_key(secret_key)
        return key


# Session cookies this process has verified, kept so the next request with the same cookie
# skips the signature, base64 and JSON: a player's cookie only changes when their session
# does, so a poll or a move brings the same one again. Bounded (the oldest go first); a
# cookie is some 300 bytes, its payload a few short values.
VERIFIED_COOKIES = 4096
_Kept = tuple[dict[str, Any], int]  # a cookie's payload, and when it was signed


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once per set of keys rather
    than on every request, and each cookie verified once per process; and the cookie marked
    Secure when the player reached us over HTTPS, or always when [flask].force_https is on
    (SESSION_COOKIE_SECURE)."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer] = {}
        self._verified: dict[tuple[URLSafeTimedSerializer, str], _Kept] = {}
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*app.config["SECRET_KEY_FALLBACKS"], app.secret_key)  # the current key last
        found = self._serializers.get(keys)
        if found is None:
            found = self._serializers[keys] = URLSafeTimedSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer=_KeptKeys,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
        return found

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's, but a cookie verified before under the same keys is not verified again:
        only its age is checked, as itsdangerous checks it (an age past the lifetime, or
        one from the future, refuses the cookie), so it expires exactly as before."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self._verified.get((serializer, cookie))
        if kept is not None and 0 <= int(time.time()) - kept[1] <= max_age:
            return self.session_class(kept[0])  # a copy: the kept payload stays as signed
        try:
            data, signed = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(v, str | int | float | bool | None) for v in data.values()):
            # Only flat payloads (ours are): a nested value could be changed in place.
            self._keep((serializer, cookie), (dict(data), int(signed.timestamp())))
        return self.session_class(data)

    def _keep(self, key: tuple[URLSafeTimedSerializer, str], kept: _Kept) -> None:
        with self._lock:  # gunicorn's threads share the process's sessions
            if len(self._verified) >= VERIFIED_COOKIES:
                del self._verified[next(iter(self._verified))]
            self._verified[key] = kept


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app: settings -> clients -> tables -> blueprints and error handlers."""
    logs.configure()
    if settings is None:
        settings = config.load(read_keys=ssm.read_keys)
    app = Flask(__name__)
    _configure(app, settings)
    hosts.register(app, settings.public_origin)  # first: a request for another host goes no further
    if settings.force_https:
        # First, so a plain-HTTP request is redirected before the CSRF check refuses it.
        https.register(app, settings.trusted_proxies)
    RotatingCSRFProtect(app)
    backend = build(settings)
    app.extensions["tictactoe"] = backend
    _prepare(backend)
    web.register(app)
    limits.install(app)  # the login limits need the backend's Users table
    maintenance.register(app)
    requestlog.install(app, backend.dynamodb)  # last: the outermost layer sees every request
    return app


def _configure(app: Flask, settings: Settings) -> None:
    """Set Flask's options: the session keys, the cookie, the body limit, the proxies."""
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Older keys still verify cookies (and CSRF tokens), so rotating the key signs nobody
        # out; only SECRET_KEY signs.
        SECRET_KEY_FALLBACKS=list(settings.previous_secret_keys),
        SESSION_COOKIE_SECURE=settings.force_https,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=64 * 1024,  # JSON and forms; the picture upload raises its own limit
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # Re-sign the cookie only when the session changes, not on every poll.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Flask's default provider has it
    app.debug = False  # never the Werkzeug debugger, whatever FLASK_DEBUG says
    app.session_interface = _SessionInterface()
    if settings.trusted_proxies:
        # Believe X-Forwarded-For only as far back as our own proxies append to it, so a client
        # cannot choose its address (limits count by it); the scheme is the outermost proxy's.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=1
        )


def _prepare(backend: Backend) -> None:
    """Create what is missing (tables, the bucket); start anyway while AWS does not answer."""
    settings = backend.settings
    try:
        # Creates missing tables and waits for them; starts adding a missing index and returns
        # without waiting for it to be built (minutes, beyond gunicorn's --timeout on a big
        # table): /health answers 503 until it is ACTIVE. The deploy's `migrate` waits instead.
        ensure_tables(backend.dynamodb, settings, strict=False)
    except Unavailable as err:
        # Start anyway: /health reports 503 and retries until the database answers.
        log.warning("Could not check the tables yet (%s); will retry from /health", err)
    try:
        backend.bucket.ensure_bucket()  # NotOurBucket (a ConfigError) stops start-up
    except Unavailable as err:
        # Start anyway: games work without S3; the first upload creates the bucket if needed.
        log.warning("Could not check the picture bucket yet (%s)", err)
    except StoreError as err:  # refused outright (bad credentials, say): one clear line
        raise ConfigError(f"cannot check the picture bucket {settings.bucket!r}: {err}") from err
