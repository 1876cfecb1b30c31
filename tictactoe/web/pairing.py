"""Play now, under /api/quick-play: press to pair or wait, see the wait, stop waiting."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from tictactoe.rules.clock import now
from tictactoe.services import pairing
from tictactoe.store import Looking, Paired
from tictactoe.web import auth
from tictactoe.web.current import backend
from tictactoe.web.present import game_json, game_response

# The endpoints keep the name "quick" (quick.play, quick.state ...): the benchmarks name rows by it.
bp = Blueprint("quick", __name__, url_prefix="/api")


@bp.post("/quick-play")
@auth.signed_in
def play() -> ResponseReturnValue:
    outcome = pairing.play(backend().pairing, auth.player(), auth.my_picture())
    if isinstance(outcome, Paired):
        return game_response(outcome.game, 201)
    return looking_json(outcome), 202


@bp.get("/quick-play")
@auth.signed_in
def state() -> ResponseReturnValue:
    found = pairing.state(backend().pairing, auth.player())
    if isinstance(found, Paired):
        return {"status": "paired", "game": game_json(found.game)}
    if isinstance(found, Looking):
        return looking_json(found)
    return {"status": "idle"}


@bp.delete("/quick-play")
@auth.signed_in
def stop() -> ResponseReturnValue:
    pairing.stop(backend().pairing, auth.player())
    return Response(status=204)


def looking_json(wait: Looking) -> dict[str, Any]:
    """The answer while a player waits: until when, in the app's time format."""
    return {"status": "waiting", "expires_at": now(wait.expires_at)}
