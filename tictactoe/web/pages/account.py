"""The pages of an account: sign-up and login, the profile, its picture, password and deletion."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from tictactoe.adapters import pillow
from tictactoe.services import pictures
from tictactoe.services.errors import Conflict, Forbidden, Invalid, WrongCredentials
from tictactoe.services.limits import Refused
from tictactoe.store import Taken
from tictactoe.web import auth, returns, wiring
from tictactoe.web.current import backend
from tictactoe.web.errors import STATUS
from tictactoe.web.pages.blueprint import bp, see
from tictactoe.web.pictures import LARGE, accepts_upload, picture_url, remember_pictures, uploaded


@bp.post("/signup")
def signup() -> ResponseReturnValue:
    name, password = request.form.get("username", ""), request.form.get("password", "")
    try:
        wiring.register(name, password)
    except (Invalid, Taken, Refused) as err:
        return _welcome_again(err, signup_error=str(err), name=name)
    return see(_back())


@bp.post("/login")
def login() -> ResponseReturnValue:
    name, password = request.form.get("username", ""), request.form.get("password", "")
    try:
        wiring.login(name, password)
    except (Invalid, WrongCredentials, Refused) as err:
        return _welcome_again(err, login_error=str(err), name=name)
    return see(_back())


@bp.post("/logout")
def logout() -> Response:
    auth.end_session()
    return see(url_for("pages.home"))


@bp.get("/profile")
@auth.signed_in
def profile() -> ResponseReturnValue:
    return _profile(done=request.args.get("done"))


@bp.post("/profile/avatar")
@auth.signed_in
@accepts_upload
@auth.fresh  # after the upload's own CSRF check
def upload_picture() -> ResponseReturnValue:
    try:
        data, filename = uploaded()
        wiring.set_picture(auth.player(), data, filename)
    except (pillow.BadImage, Invalid) as err:
        return _profile(error=str(err)), 413 if isinstance(err, pillow.TooLarge) else 400
    return see(url_for("pages.profile", done="saved"))


@bp.post("/profile/avatar/remove")
@auth.signed_in
@auth.fresh
def remove_picture() -> Response:
    wiring.remove_picture(auth.player())
    return see(url_for("pages.profile", done="removed"))


@bp.post("/profile/password")
@auth.signed_in
def change_password() -> ResponseReturnValue:
    form, user = request.form, auth.fresh_user()
    try:
        if form.get("new_password") != form.get("new_password_again"):
            raise Invalid("the two new passwords differ; type the same one twice")
        wiring.change_password(user, form.get("current_password"), form.get("new_password"))
    except (Invalid, Forbidden, Conflict, Refused) as err:
        return _refused(_profile(account_error=str(err)), err)
    return see(url_for("pages.profile", done="password"))


@bp.post("/profile/sessions/revoke")
@auth.signed_in
def revoke_sessions() -> ResponseReturnValue:
    if request.form.get("confirm") != "yes":
        return _profile(account_error="tick the box to confirm signing out everywhere"), 400
    wiring.sign_out_everywhere(auth.fresh_user())
    return see(url_for("pages.home", done="signed-out"))


@bp.post("/profile/delete")
@auth.signed_in
def delete_account() -> ResponseReturnValue:
    user = auth.fresh_user()
    try:
        if request.form.get("confirm") != "yes":
            raise Invalid("tick the box to confirm deleting your account")
        wiring.delete_account(user, request.form.get("password"))
    except (Invalid, Forbidden, Refused) as err:
        return _refused(_profile(delete_error=str(err)), err)
    return see(url_for("pages.home", done="deleted"))


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
