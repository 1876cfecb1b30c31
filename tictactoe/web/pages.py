"""HTML pages and the plain form posts that work without JavaScript."""

from __future__ import annotations

import math

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from tictactoe.adapters import pillow
from tictactoe.services import accounts, computer, games, pairing, pictures
from tictactoe.services.errors import Conflict, Forbidden, Invalid, WrongCredentials
from tictactoe.services.limits import Refused
from tictactoe.store import Looking, OpenInvitation, Paired, Taken
from tictactoe.web import auth, game_page, returns
from tictactoe.web.current import backend
from tictactoe.web.errors import STATUS
from tictactoe.web.layers import limits
from tictactoe.web.pictures import (
    LARGE,
    accepts_upload,
    picture_url,
    remember_games,
    remember_pictures,
    uploaded,
)
from tictactoe.web.present import etag, game_json, seen_board

bp = Blueprint("pages", __name__)
PAIRING_REFRESH = 3  # seconds between the looks of the Play now page without JavaScript


@bp.get("/")
def home() -> ResponseReturnValue:
    player = auth.current_player()
    if player is None:
        back = returns.safe_next(request.args.get("next"))
        return render_template("welcome.html", done=request.args.get("done"), next=back)
    lists = games.lists(backend().games, player)
    remember_games([*lists.invites, *lists.sent, *lists.in_progress, *lists.finished])
    return render_template("home.html", lists=lists)


@bp.post("/signup")
def signup() -> ResponseReturnValue:
    name, password = request.form.get("username", ""), request.form.get("password", "")
    try:
        user = accounts.register(backend().users, name, password, limits.gate())
    except (Invalid, Taken, Refused) as err:
        return _welcome_again(err, signup_error=str(err), name=name)
    auth.sign_in(user)
    return _see(_back())


@bp.post("/login")
def login() -> ResponseReturnValue:
    name, password = request.form.get("username", ""), request.form.get("password", "")
    try:
        user = accounts.login(backend().users, name, password, limits.gate())
    except (Invalid, WrongCredentials, Refused) as err:
        return _welcome_again(err, login_error=str(err), name=name)
    auth.sign_in(user)
    return _see(_back())


@bp.post("/logout")
def logout() -> Response:
    auth.end_session()
    return _see(url_for("pages.home"))


@bp.post("/games")
@auth.signed_in
def invite() -> Response:
    b = backend()
    opponent = request.form.get("opponent")
    try:
        game = games.invite(b.games, b.users, auth.player(), opponent, auth.my_picture())
    except OpenInvitation as err:
        # Already invited, either way round: show that invitation, where it can be answered.
        return _see(url_for("pages.game", game_id=err.game_id))
    return _see(url_for("pages.game", game_id=game.id, v=game.version))


@bp.get("/games/<game_id:game_id>")
@auth.signed_in
def game(game_id: str) -> ResponseReturnValue:
    at_least = request.args.get("v", default=0, type=int)
    found = games.game(backend().games, game_id, at_least)
    extras = game_page.extras(found)
    remember_games([found, *([extras["rematch"]] if extras["rematch"] else [])])
    expired = games.expired(backend().games, found)
    return render_template(
        "game.html", game=found, state=etag(found), json=game_json(found), expired=expired, **extras
    )


@bp.post("/challenges")
@auth.signed_in
def challenge() -> Response:
    game = games.challenge(backend().games, auth.player(), auth.my_picture())
    return _see(url_for("pages.game", game_id=game.id, v=game.version))


@bp.post("/quick-play")
@auth.signed_in
def pairing_play() -> Response:
    """Play now without JavaScript: to the game when paired, else to the wait's page."""
    outcome = pairing.play(backend().pairing, auth.player(), auth.my_picture())
    if isinstance(outcome, Paired):
        return _see(url_for("pages.game", game_id=outcome.game.id, v=outcome.game.version))
    return _see(url_for("pages.pairing_wait"))


@bp.get("/quick-play")
@auth.signed_in
def pairing_wait() -> ResponseReturnValue:
    """Show the wait; it looks again every few seconds and opens the game once paired."""
    b = backend()
    found = pairing.state(b.pairing, auth.player())
    if isinstance(found, Paired):
        return _see(url_for("pages.game", game_id=found.game.id, v=found.game.version))
    waited = found.expires_at - b.games.clock() if isinstance(found, Looking) else 0
    return render_template(
        "pairing.html", seconds_left=max(0, math.ceil(waited)), refresh=PAIRING_REFRESH
    )


@bp.post("/quick-play/cancel")
@auth.signed_in
def pairing_cancel() -> Response:
    pairing.stop(backend().pairing, auth.player())
    return _see(url_for("pages.home"))


@bp.post("/computer-games")
@auth.signed_in
def computer_game() -> Response:
    level, first = request.form.get("level"), request.form.get("first", "me")
    game = computer.start(backend().games, auth.player(), level, first, auth.my_picture())
    return _see(url_for("pages.game", game_id=game.id, v=game.version))


@bp.post("/games/<game_id:game_id>/accept")
@auth.signed_in
def accept(game_id: str) -> Response:
    game = games.accept(backend().games, game_id, auth.player(), auth.my_picture())
    return _see(url_for("pages.game", game_id=game_id, v=game.version))


@bp.post("/games/<game_id:game_id>/rematch")
@auth.signed_in
def rematch(game_id: str) -> Response:
    game, _ = games.rematch(backend().games, game_id, auth.player(), auth.my_picture())
    return _see(url_for("pages.game", game_id=game.id, v=game.version))


@bp.get("/games/<game_id:game_id>/resign")
@auth.signed_in
def resign_confirm(game_id: str) -> str:
    """Ask before resigning (the game page asks in a dialog when JavaScript runs)."""
    found = games.game(backend().games, game_id)
    remember_games([found])
    return render_template("resign.html", game=found)


@bp.post("/games/<game_id:game_id>/resign")
@auth.signed_in
def resign(game_id: str) -> Response:
    game = games.resign(backend().games, game_id, auth.player())
    return _see(url_for("pages.game", game_id=game_id, v=game.version))


@bp.post("/games/<game_id:game_id>/claim")
@auth.signed_in
def claim(game_id: str) -> Response:
    game = games.claim(backend().games, game_id, auth.player())
    return _see(url_for("pages.game", game_id=game_id, v=game.version))


@bp.post("/games/<game_id:game_id>/reject")
@auth.signed_in
def reject(game_id: str) -> Response:
    games.reject(backend().games, game_id, auth.player())
    return _see(url_for("pages.home"))


@bp.post("/games/<game_id:game_id>/cancel")
@auth.signed_in
def cancel(game_id: str) -> Response:
    games.cancel(backend().games, game_id, auth.player())
    return _see(url_for("pages.home"))


@bp.post("/games/<game_id:game_id>/move")
@auth.signed_in
def move(game_id: str) -> Response:
    cell = request.form.get("cell", type=int)
    seen = seen_board(request.form.get("state"))
    game = games.move(backend().games, game_id, auth.player(), cell, seen)
    return _see(url_for("pages.game", game_id=game_id, v=game.version))


@bp.get("/profile")
@auth.signed_in
def profile() -> ResponseReturnValue:
    return _profile(done=request.args.get("done"))


@bp.post("/profile/avatar")
@auth.signed_in
@accepts_upload
@auth.fresh  # after the upload's own CSRF check
def upload_picture() -> ResponseReturnValue:
    b, player = backend(), auth.player()
    try:
        data, filename = uploaded()
        record = pictures.set_picture(b.pictures, b.bucket, b.users, player, data, filename)
        auth.set_my_picture(record.picture_id)
    except (pillow.BadImage, Invalid) as err:
        return _profile(error=str(err)), 413 if isinstance(err, pillow.TooLarge) else 400
    return _see(url_for("pages.profile", done="saved"))


@bp.post("/profile/avatar/remove")
@auth.signed_in
@auth.fresh
def remove_picture() -> Response:
    b = backend()
    pictures.remove_picture(b.pictures, b.bucket, b.users, auth.player())
    auth.set_my_picture(None)
    return _see(url_for("pages.profile", done="removed"))


@bp.post("/profile/password")
@auth.signed_in
def change_password() -> ResponseReturnValue:
    form, user = request.form, auth.fresh_user()
    try:
        if form.get("new_password") != form.get("new_password_again"):
            raise Invalid("the two new passwords differ; type the same one twice")
        epoch = accounts.change_password(
            backend().users,
            user,
            form.get("current_password"),
            form.get("new_password"),
            limits.gate(),
        )
    except (Invalid, Forbidden, Conflict, Refused) as err:
        return _refused(_profile(account_error=str(err)), err)
    auth.renew(epoch)
    return _see(url_for("pages.profile", done="password"))


@bp.post("/profile/sessions/revoke")
@auth.signed_in
def revoke_sessions() -> ResponseReturnValue:
    if request.form.get("confirm") != "yes":
        return _profile(account_error="tick the box to confirm signing out everywhere"), 400
    accounts.sign_out_everywhere(backend().users, auth.fresh_user())
    auth.sign_out()
    return _see(url_for("pages.home", done="signed-out"))


@bp.post("/profile/delete")
@auth.signed_in
def delete_account() -> ResponseReturnValue:
    b, user = backend(), auth.fresh_user()
    try:
        if request.form.get("confirm") != "yes":
            raise Invalid("tick the box to confirm deleting your account")
        password = request.form.get("password")
        accounts.delete_account(
            b.users, b.games, b.pairing, b.pictures, b.bucket, user, password, limits.gate()
        )
    except (Invalid, Forbidden, Refused) as err:
        return _refused(_profile(delete_error=str(err)), err)
    auth.sign_out()
    return _see(url_for("pages.home", done="deleted"))


def _profile(error: str | None = None, done: str | None = None, **errors: str) -> str:
    player = auth.player()
    found = pictures.picture(backend().pictures, player)
    digest = found.picture_id if found else None
    remember_pictures({player: digest})  # the header's small picture, without another read
    large = picture_url(player, digest, LARGE)
    return render_template(
        "profile.html",
        picture=found,
        large=large,
        error=error,
        done=done,
        max_mib=pillow.MAX_BYTES // (1024 * 1024),
        **errors,
    )


def _welcome_again(err: Exception, **context: str) -> ResponseReturnValue:
    """The welcome page again, saying why (a refusal also says when to try again)."""
    back = returns.safe_next(request.form.get("next"))
    return _refused(render_template("welcome.html", next=back, **context), err)


def _back() -> str:
    """Where a sign-in or sign-up goes: the page the visitor came for, if it is ours."""
    return returns.safe_next(request.form.get("next")) or url_for("pages.home")


def _refused(page: str, err: Exception) -> ResponseReturnValue:
    """Answer a refused form post with its page (a limit's refusal says when to try again)."""
    if isinstance(err, Refused):
        return page, err.status, {"Retry-After": str(err.retry_after)}
    return page, STATUS[type(err)]


def _see(location: str) -> Response:
    """Redirect after a post with 303, so a reload never posts twice."""
    return redirect(location, code=303)
