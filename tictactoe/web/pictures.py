"""Player pictures over HTTP: their URLs, serving them, and the raised limit for uploads.

How a page learns the URLs: a URL names the player and the picture's id, its content hash
and the id of the upload that stored it (/avatars/<player>/<hash>-<upload>/<size>.webp; older
pictures have the hash alone), so its bytes never change and browsers may keep it for a year
without asking again. Building it needs the hash, and reading it would cost a
read on every move and poll, so the hash travels instead: the player's Users item holds it
(sign-in puts it in the session), and each game copies both players' hashes when it is
created. Showing games therefore costs no read. A hash that has gone stale since (the player
changed picture mid-game) redirects to the current picture. Players without a picture get
/avatars/<player>/default.svg, drawn from the name alone, with no read at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, Flask, Response, current_app, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from tictactoe.adapters import pillow
from tictactoe.rules.board import Game
from tictactoe.rules.names import NAME
from tictactoe.services import pictures
from tictactoe.services.errors import Invalid
from tictactoe.web import auth
from tictactoe.web.current import backend

bp = Blueprint("pictures", __name__)

LARGE, SMALL = pillow.SIZES  # the profile page's size, and the one beside names
UPLOAD_LIMIT = pillow.MAX_BYTES + 64 * 1024  # the picture plus the multipart envelope
YEAR = 365 * 24 * 3600
# The default picture is an SVG: it may not run scripts, load anything or be framed.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_DIGEST = re.compile(r"[0-9a-f]{64}(-[0-9a-f]{12})?")  # content hash, upload id
UPLOAD_VIEWS: list[Callable[..., Any]] = []
P = ParamSpec("P")  # an upload view's parameters, kept by accepts_upload
R = TypeVar("R")  # and its return value
_TOO_LARGE = f"the picture is over {pillow.MAX_BYTES // (1024 * 1024)} MiB; choose a smaller one"


def picture_url(player: str, digest: str | None, size: int = SMALL) -> str:
    """Return the URL of `player`'s picture with this content hash (None: the default)."""
    if digest is None:
        return url_for("pictures.default", player=player)
    return url_for("pictures.picture", player=player.lower(), digest=digest, size=size)


def remember_pictures(digests: Mapping[str, str | None]) -> None:
    """Tell this request's templates the pictures a view knows (name -> hash, None: default)."""
    known: dict[str, str | None] = g.setdefault("picture_digests", {})
    known.update({name.lower(): digest for name, digest in digests.items()})


def remember_games(games: Iterable[Game]) -> None:
    """Take the page's picture hashes from its games (newest first) and from the session."""
    known: dict[str, str | None] = {}
    for game in games:
        known.setdefault(game.host.lower(), game.host_picture)
        if game.opponent is not None:  # an open challenge has no opponent yet
            known.setdefault(game.opponent.lower(), game.opponent_picture)
    player = auth.current_player()
    if player is not None:
        known[player.lower()] = auth.my_picture()
    remember_pictures(known)


def template_url(player: str, size: int = SMALL) -> str:
    """The templates' picture_url(name), with no read.

    Every name a page shows is the signed-in player's (the session knows their hash) or comes
    from one of the page's games (which carry their players' hashes, see `remember_games`).
    """
    known: dict[str, str | None] = g.get("picture_digests", {})
    if player.lower() not in known and player == auth.current_player():
        return picture_url(player, auth.my_picture(), size)
    return picture_url(player, known.get(player.lower()), size)


def accepts_upload(view: Callable[P, R]) -> Callable[P, R]:
    """Let `view` receive a picture upload: a body of up to UPLOAD_LIMIT bytes.

    Flask-WTF checks CSRF before any view runs and reads request.form to do it, which would
    parse the body under the app-wide 64 KiB limit and answer 413. So these views are
    exempted from that early check (see `register`) and run it here, once the limit is
    raised. An over-long body is refused from its Content-Length before any of it is read.
    """

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        request.max_content_length = UPLOAD_LIMIT
        if current_app.config["WTF_CSRF_ENABLED"]:
            current_app.extensions["csrf"].protect()
        return view(*args, **kwargs)

    UPLOAD_VIEWS.append(wrapper)
    return wrapper


def uploaded() -> tuple[bytes, str | None]:
    """Return the bytes and file name of the request's `image` field, reading at most the limit."""
    try:
        upload = request.files.get("image")
    except RequestEntityTooLarge as err:  # refused from Content-Length, body left unread
        raise pillow.TooLarge(_TOO_LARGE) from err
    if upload is None:
        raise Invalid("send the picture as the multipart form field 'image'")
    data = upload.stream.read(pillow.MAX_BYTES + 1)
    if len(data) > pillow.MAX_BYTES:
        raise pillow.TooLarge(_TOO_LARGE)
    if not data:
        raise Invalid("choose a picture to upload")
    return data, upload.filename


@bp.get("/avatars/<player>/<digest>/<int:size>.webp")
@auth.signed_in
def picture(player: str, digest: str, size: int) -> ResponseReturnValue:
    if not (NAME.fullmatch(player) and _DIGEST.fullmatch(digest)) or size not in (
        LARGE,
        SMALL,
    ):
        return _missing(player)
    tag = f"{digest}-{size}"
    if request.if_none_match.contains_weak(tag):  # the bytes at a URL never change
        return _cached(Response(status=304), tag)
    found = pictures.rendition(backend().bucket, player, digest, size)
    if found is None:
        return _current(player, size)
    return _cached(Response(found.body, mimetype=found.content_type), tag)


@bp.get("/avatars/<player>/default.svg")
@auth.signed_in
def default(player: str) -> ResponseReturnValue:
    if not NAME.fullmatch(player):
        return _missing("")
    svg = pictures.default_svg(player)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    response.set_etag(hashlib.sha256(svg.encode()).hexdigest()[:32])
    # Drawn from the name: it changes only if the drawing code does; a day is plenty.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response.make_conditional(request)


def _cached(response: Response, tag: str) -> Response:
    response.set_etag(tag)
    response.headers["Cache-Control"] = f"private, max-age={YEAR}, immutable"
    return response


def _current(player: str, size: int) -> BaseResponse:
    """Redirect a stale picture URL (the player has changed it since) to the current one."""
    record = pictures.picture(backend().pictures, player)
    if record is None:
        return redirect(url_for("pictures.default", player=player), code=302)
    if pictures.rendition(backend().bucket, player, record.picture_id, size) is None:
        return _missing(player)  # the table names objects the store no longer has
    response = redirect(picture_url(player, record.picture_id, size), code=302)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _missing(player: str) -> Response:
    """404, with the default picture as the body, so an <img> never shows a broken image.

    (The local stack's S3 forgets objects when it restarts; the table still names them.)
    """
    svg = pictures.default_svg(player if NAME.fullmatch(player) else "?")
    response = Response(svg, status=404, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    response.headers["Cache-Control"] = "no-cache"
    return response


def register(app: Flask) -> None:
    """Exempt the upload views from the early CSRF check (they make it themselves)."""
    csrf = app.extensions["csrf"]
    for view in UPLOAD_VIEWS:
        csrf.exempt(view)
