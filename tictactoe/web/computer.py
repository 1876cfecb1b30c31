"""POST /api/computer-games: start a game against the computer. Parse, call one use case, answer."""

from __future__ import annotations

from flask import Blueprint, Response

from tictactoe.services import computer
from tictactoe.web import auth
from tictactoe.web.current import backend
from tictactoe.web.layers import inputs
from tictactoe.web.present import game_response

bp = Blueprint("computer", __name__, url_prefix="/api")


@bp.post("/computer-games")
@auth.signed_in
def start() -> Response:
    body = inputs.json_object()  # 400 unless the body is a JSON object
    game = computer.start(
        backend().games,
        auth.player(),
        body.get("level"),
        body.get("first", "me"),
        auth.my_picture(),
    )
    return game_response(game, 201)
