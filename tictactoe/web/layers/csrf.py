"""CSRF protection that survives a rotation of the session key.

Flask 3.1 verifies the session cookie with SECRET_KEY_FALLBACKS too, but Flask-WTF 1.3 signs
and checks CSRF tokens with the current key only. Without this, a page loaded before a key
rotation (its form field, or the token game.js read from the page) would be refused with
"The CSRF token is invalid" until the player reloads. Here a token signed with a previous key
is checked with that key and then judged exactly as a fresh one: it must still match the
token in the player's session, so an old key gains an attacker nothing it did not have.
"""

from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadData, URLSafeTimedSerializer

SALT = "wtf-csrf-token"  # Flask-WTF's own salt for CSRF tokens


class RotatingCSRFProtect(CSRFProtect):  # type: ignore[misc]  # Flask-WTF has no type hints
    """Flask-WTF's CSRFProtect, accepting tokens signed with a key in SECRET_KEY_FALLBACKS."""

    def _get_csrf_token(self) -> str | None:
        token: str | None = super()._get_csrf_token()
        return resigned(token) if token else token


def resigned(token: str) -> str:
    """Return `token` signed with the current key if a previous key signed it, else as is."""
    config = current_app.config
    previous = [] if config.get("WTF_CSRF_SECRET_KEY") else config["SECRET_KEY_FALLBACKS"]
    if not previous:
        return token
    key = current_app.secret_key
    assert key is not None  # previous keys are only ever set beside a current one
    current = URLSafeTimedSerializer(key, salt=SALT)
    try:
        current.loads(token)
        return token
    except BadData:
        pass
    any_key = URLSafeTimedSerializer([*previous, key], salt=SALT)
    try:
        raw = any_key.loads(token, max_age=config.get("WTF_CSRF_TIME_LIMIT"))
    except BadData:
        return token  # Flask-WTF refuses it with its own message
    return current.dumps(raw)
