"""HTML pages and the plain form posts that work without JavaScript."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import avatars, pictures, services
from ..backend import backend
from ..store import Taken
from . import auth, images
from .errors import STATUS
from .present import etag, game_json, seen_board

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    player = auth.current_player()
    if player is None:
        return render_template("welcome.html")
    lists = services.lists(backend().games, player)
    images.remember_games([*lists.invites, *lists.sent, *lists.in_progress, *lists.finished])
    return render_template("home.html", lists=lists)


@bp.post("/signup")
def signup():  # type: ignore[no-untyped-def]
    name, password = request.form.get("username", ""), request.form.get("password", "")
    try:
        user = services.register(backend().users, name, password)
    except (services.Invalid, Taken) as err:
        return render_template("welcome.html", signup_error=str(err), name=name), STATUS[type(err)]
    auth.sign_in(user.name, user.picture)
    return _see(url_for("pages.home"))


@bp.post("/login")
def login():  # type: ignore[no-untyped-def]
    name, password = request.form.get("username", ""), request.form.get("password", "")
    try:
        user = services.login(backend().users, name, password)
    except (services.Invalid, services.WrongCredentials) as err:
        return render_template("welcome.html", login_error=str(err), name=name), STATUS[type(err)]
    auth.sign_in(user.name, user.picture)
    return _see(url_for("pages.home"))


@bp.post("/logout")
def logout() -> Response:
    auth.sign_out()
    return _see(url_for("pages.home"))


@bp.post("/games")
@auth.signed_in
def invite() -> Response:
    b = backend()
    opponent = request.form.get("opponent")
    game = services.invite(b.games, b.users, auth.player(), opponent, auth.my_picture())
    return _see(url_for("pages.game", game_id=game.id, v=game.version))


@bp.get("/games/<game_id:game_id>")
@auth.signed_in
def game(game_id: str):  # type: ignore[no-untyped-def]
    at_least = request.args.get("v", default=0, type=int)
    found = services.game(backend().games, game_id, at_least)
    images.remember_games([found])
    return render_template("game.html", game=found, state=etag(found), json=game_json(found))


@bp.post("/games/<game_id:game_id>/accept")
@auth.signed_in
def accept(game_id: str) -> Response:
    game = services.accept(backend().games, game_id, auth.player())
    return _see(url_for("pages.game", game_id=game_id, v=game.version))


@bp.post("/games/<game_id:game_id>/reject")
@auth.signed_in
def reject(game_id: str) -> Response:
    services.reject(backend().games, game_id, auth.player())
    return _see(url_for("pages.home"))


@bp.post("/games/<game_id:game_id>/move")
@auth.signed_in
def move(game_id: str) -> Response:
    cell = request.form.get("cell", type=int)
    seen = seen_board(request.form.get("state"))
    game = services.move(backend().games, game_id, auth.player(), cell, seen)
    return _see(url_for("pages.game", game_id=game_id, v=game.version))


@bp.get("/profile")
@auth.signed_in
def profile():  # type: ignore[no-untyped-def]
    return _profile(done=request.args.get("done"))


@bp.post("/profile/avatar")
@auth.signed_in
@images.accepts_upload
def upload_avatar():  # type: ignore[no-untyped-def]
    b, player = backend(), auth.player()
    try:
        data, filename = images.uploaded()
        record = pictures.set_picture(b.avatars, b.pictures, b.users, player, data, filename)
        auth.set_my_picture(record.picture_id)
    except (avatars.BadImage, services.Invalid) as err:
        return _profile(error=str(err)), 413 if isinstance(err, avatars.TooLarge) else 400
    return _see(url_for("pages.profile", done="saved"))


@bp.post("/profile/avatar/remove")
@auth.signed_in
def remove_avatar() -> Response:
    b = backend()
    pictures.remove_picture(b.avatars, b.pictures, b.users, auth.player())
    auth.set_my_picture(None)
    return _see(url_for("pages.profile", done="removed"))


def _profile(error: str | None = None, done: str | None = None) -> str:
    player = auth.player()
    found = pictures.picture(backend().avatars, player)
    digest = found.picture_id if found else None
    images.remember({player: digest})  # the header's small picture, without another read
    large = images.url(player, digest, images.LARGE)
    return render_template(
        "profile.html", picture=found, large=large, error=error, done=done,
        max_mib=avatars.MAX_BYTES // (1024 * 1024),
    )  # fmt: skip


def _see(location: str) -> Response:
    """Redirect after a post with 303, so a reload never posts twice."""
    return redirect(location, code=303)
