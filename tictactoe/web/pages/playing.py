"""The pages of playing: the home lists, a game and its form posts, Play now, the computer."""

from __future__ import annotations

import math

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from tictactoe.rules.board import Game
from tictactoe.services import computer, games, pairing
from tictactoe.store import Looking, OpenInvitation, Paired
from tictactoe.store.lists import LIST_LENGTH, MORE_LENGTH
from tictactoe.web import auth, game_page, landing, returns, wiring
from tictactoe.web.current import backend
from tictactoe.web.pages.blueprint import bp, see
from tictactoe.web.pictures import remember_games
from tictactoe.web.present import etag, game_json, seen_board

PAIRING_REFRESH = 3  # seconds between the looks of the Play now page without JavaScript


@bp.get("/")
def home() -> ResponseReturnValue:
    player = auth.current_player()
    if player is None:
        back = returns.safe_next(request.args.get("next"))
        return render_template("welcome.html", done=request.args.get("done"), next=back)
    more = request.args.get("more") == "1"  # a list's "more" link: the rest, up to MORE_LENGTH
    lists = games.lists(backend().games, player, more)
    remember_games([*lists.invites, *lists.sent, *lists.in_progress, *lists.finished])
    length = MORE_LENGTH if more else LIST_LENGTH
    return render_template("home.html", lists=lists, more=more, length=length)


@bp.post("/games")
@auth.signed_in
def invite() -> Response:
    try:
        game = wiring.invite(request.form.get("opponent"))
    except OpenInvitation as err:
        # Already invited, either way round: show that invitation, where it can be answered.
        return see(url_for("pages.game", game_id=err.game_id))
    return _land(game)


@bp.get("/games/<game_id:game_id>")
@auth.signed_in
def game(game_id: str) -> ResponseReturnValue:
    at_least = request.args.get("v", default=0, type=int)
    # Just after a form post that wrote it, the game as that write answered: no read.
    found = landing.take(game_id, at_least) or games.game(backend().games, game_id, at_least)
    extras = game_page.extras(found)
    remember_games([found, *([extras["rematch"]] if extras["rematch"] else [])])
    expired = games.expired(backend().games, found)
    return render_template(
        "game.html",
        game=found,
        state=etag(found),
        json=game_json(found, left_at=extras["left_at"]),  # claimable_at counts the absence
        expired=expired,
        **extras,
    )


@bp.post("/challenges")
@auth.signed_in
def challenge() -> Response:
    game = games.challenge(backend().games, auth.player(), auth.my_picture())
    return _land(game)


@bp.post("/quick-play")
@auth.signed_in
def pairing_play() -> Response:
    """Play now without JavaScript: to the game when paired, else to the wait's page."""
    outcome = pairing.play(backend().pairing, auth.player(), auth.my_picture())
    if isinstance(outcome, Paired):
        return _land(outcome.game)
    return see(url_for("pages.pairing_wait"))


@bp.get("/quick-play")
@auth.signed_in
def pairing_wait() -> ResponseReturnValue:
    """Show the wait; it looks again every few seconds and opens the game once paired."""
    b = backend()
    found = pairing.state(b.pairing, auth.player())
    if isinstance(found, Paired):
        return _land(found.game)  # read strongly just now: the game's page need not read it
    waited = found.expires_at - b.games.clock() if isinstance(found, Looking) else 0
    return render_template(
        "pairing.html", seconds_left=max(0, math.ceil(waited)), refresh=PAIRING_REFRESH
    )


@bp.post("/quick-play/cancel")
@auth.signed_in
def pairing_cancel() -> Response:
    pairing.stop(backend().pairing, auth.player())
    return see(url_for("pages.home"))


@bp.post("/computer-games")
@auth.signed_in
def computer_game() -> Response:
    level, first = request.form.get("level"), request.form.get("first", "me")
    game = computer.start(backend().games, auth.player(), level, first, auth.my_picture())
    return _land(game)


@bp.post("/games/<game_id:game_id>/accept")
@auth.signed_in
def accept(game_id: str) -> Response:
    game = games.accept(backend().games, game_id, auth.player(), auth.my_picture())
    return _land(game)


@bp.post("/games/<game_id:game_id>/rematch")
@auth.signed_in
def rematch(game_id: str) -> Response:
    game, _ = games.rematch(backend().games, game_id, auth.player(), auth.my_picture())
    return _land(game)


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
    return _land(game)


@bp.post("/games/<game_id:game_id>/claim")
@auth.signed_in
def claim(game_id: str) -> Response:
    game = game_page.claim(game_id)  # the turn timeout, or the opponent's absence
    return _see_game(game_id, game.version)


@bp.post("/games/<game_id:game_id>/reject")
@auth.signed_in
def reject(game_id: str) -> Response:
    games.reject(backend().games, game_id, auth.player())
    return see(url_for("pages.home"))


@bp.post("/games/<game_id:game_id>/cancel")
@auth.signed_in
def cancel(game_id: str) -> Response:
    games.cancel(backend().games, game_id, auth.player())
    return see(url_for("pages.home"))


@bp.post("/games/<game_id:game_id>/move")
@auth.signed_in
def move(game_id: str) -> Response:
    cell = request.form.get("cell", type=int)
    seen = seen_board(request.form.get("state"))
    game = games.move(backend().games, game_id, auth.player(), cell, seen)
    return _land(game)


def _land(game: Game) -> Response:
    """To the game's page, which shows `game` as its write answered instead of reading it."""
    landing.carry(game)
    return _see_game(game.id, game.version)


def _see_game(game_id: str, version: int) -> Response:
    """To the game's page; `v` names the version just written, so a stale cheap read reads again."""
    return see(url_for("pages.game", game_id=game_id, v=version))
