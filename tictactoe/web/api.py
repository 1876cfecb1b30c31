"""The JSON API under /api. Each view: parse, call one use case, answer."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf

from tictactoe.adapters import pillow
from tictactoe.services import games, live, pictures, players
from tictactoe.store import PictureRecord
from tictactoe.web import auth, game_page, wiring
from tictactoe.web.current import backend
from tictactoe.web.layers import inputs
from tictactoe.web.pictures import SMALL, accepts_upload, picture_url, uploaded
from tictactoe.web.present import game_json, game_response, player_json, seen_board, unchanged

bp = Blueprint("api", __name__, url_prefix="/api")


def _body() -> dict[str, Any]:
    """Return the request's JSON object, or raise Invalid with a clear message.

    The body was parsed and checked before the view ran (see inputs.py): JSON, UTF-8, an
    object, no NUL, nothing over-long or nested deep; a wrong Content-Type was a 415.
    """
    return inputs.json_object()


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return openapi_document()


@cache
def openapi_document() -> dict[str, Any]:
    """Return the API's OpenAPI 3 description (tests check responses against it)."""
    described = json.loads((Path(__file__).parent / "openapi.json").read_text())
    return inputs.document(described)  # every operation's answers to malformed input


@bp.get("/csrf")
def csrf() -> ResponseReturnValue:
    return {"csrf_token": generate_csrf()}


@bp.post("/register")
def register() -> ResponseReturnValue:
    body = _body()
    user = wiring.register(body.get("username"), body.get("password"))
    return {"username": user.name}, 201


@bp.post("/login")
def login() -> ResponseReturnValue:
    body = _body()
    user = wiring.login(body.get("username"), body.get("password"))
    return {"username": user.name}


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    auth.end_session()
    return Response(status=204)


@bp.get("/me")
@auth.signed_in
def me() -> ResponseReturnValue:
    player = auth.player()
    found = pictures.picture(backend().pictures, player)
    return {"username": player, "avatar_url": _own_picture_url(player, found)}


@bp.delete("/me")
@auth.signed_in
def delete_me() -> ResponseReturnValue:
    password = _body().get("password")  # a malformed body is a 400 before anything is read
    wiring.delete_account(auth.fresh_user(), password)
    return Response(status=204)


@bp.post("/me/password")
@auth.signed_in
def change_password() -> ResponseReturnValue:
    body, user = _body(), auth.fresh_user()
    wiring.change_password(user, body.get("current_password"), body.get("new_password"))
    return Response(status=204)


@bp.post("/me/sessions/revoke")
@auth.signed_in
def revoke_sessions() -> ResponseReturnValue:
    wiring.sign_out_everywhere(auth.fresh_user())
    return Response(status=204)


# The endpoints keep their old names (api.set_avatar ...): the benchmarks count calls by them.
@bp.put("/me/avatar", endpoint="set_avatar")
@auth.signed_in
@accepts_upload
@auth.fresh  # after the upload's own CSRF check
def set_picture() -> ResponseReturnValue:
    data, filename = uploaded()
    player = auth.player()
    record = wiring.set_picture(player, data, filename)
    return {"avatar_url": _own_picture_url(player, record)}, 201


@bp.delete("/me/avatar", endpoint="remove_avatar")
@auth.signed_in
@auth.fresh
def remove_picture() -> ResponseReturnValue:
    wiring.remove_picture(auth.player())
    return Response(status=204)


def _own_picture_url(player: str, record: PictureRecord | None) -> str | None:
    """The player's own picture, large; None without one (the default is for others' eyes)."""
    return picture_url(player, record.picture_id, pillow.SIZES[0]) if record else None


@bp.post("/games")
@auth.signed_in
def create_game() -> ResponseReturnValue:
    return game_response(wiring.invite(_body().get("opponent")), 201)


@bp.get("/games")
@auth.signed_in
def list_games() -> ResponseReturnValue:
    more = request.args.get("more") == "1"  # the home page's "more": up to MORE_LENGTH each
    lists = games.lists(backend().games, auth.player(), more)
    return {
        "invites": [game_json(g) for g in lists.invites],
        "sent": [game_json(g) for g in lists.sent],
        "in_progress": [game_json(g) for g in lists.in_progress],
        "finished": [game_json(g) for g in lists.finished],
    }


@bp.get("/games/<game_id:game_id>")
@auth.signed_in
def get_game(game_id: str) -> ResponseReturnValue:
    game = games.game(backend().games, game_id)
    return unchanged(game, request) or game_response(game)


@bp.post("/games/<game_id:game_id>/accept")
@auth.signed_in
def accept(game_id: str) -> ResponseReturnValue:
    return game_response(games.accept(backend().games, game_id, auth.player(), auth.my_picture()))


@bp.post("/games/<game_id:game_id>/reject")
@auth.signed_in
def reject(game_id: str) -> ResponseReturnValue:
    games.reject(backend().games, game_id, auth.player())
    return Response(status=204)


@bp.post("/games/<game_id:game_id>/cancel")
@auth.signed_in
def cancel(game_id: str) -> ResponseReturnValue:
    games.cancel(backend().games, game_id, auth.player())
    return Response(status=204)


@bp.post("/games/<game_id:game_id>/moves")
@auth.signed_in
def move(game_id: str) -> ResponseReturnValue:
    cell = _body().get("cell")
    # The state the page last showed lets the move skip a read (see games.move).
    seen = seen_board(request.headers.get("X-Game-State"))
    return game_response(games.move(backend().games, game_id, auth.player(), cell, seen))


@bp.post("/games/<game_id:game_id>/resign")
@auth.signed_in
def resign(game_id: str) -> ResponseReturnValue:
    return game_response(games.resign(backend().games, game_id, auth.player()))


@bp.post("/games/<game_id:game_id>/claim")
@auth.signed_in
def claim(game_id: str) -> ResponseReturnValue:
    return game_response(game_page.claim(game_id))  # the turn timeout, or an absence


@bp.get("/players/<name>")
@auth.signed_in
def player(name: str) -> ResponseReturnValue:
    return player_json(players.player(backend().ladder, name))


@bp.get("/leaderboard")
@auth.signed_in
def leaderboard() -> ResponseReturnValue:
    top = players.leaderboard(backend().ladder)
    return {"players": [player_json(p, SMALL) for p in top]}


@bp.get("/live-games")
@auth.signed_in
def live_games() -> ResponseReturnValue:
    return {"games": [game_json(g) for g in live.live_games(backend().games)]}


@bp.post("/games/<game_id:game_id>/rematch")
@auth.signed_in
def rematch(game_id: str) -> ResponseReturnValue:
    game, created = games.rematch(backend().games, game_id, auth.player(), auth.my_picture())
    return game_response(game, 201 if created else 200)


@bp.post("/challenges")
@auth.signed_in
def create_challenge() -> ResponseReturnValue:
    return game_response(games.challenge(backend().games, auth.player(), auth.my_picture()), 201)
