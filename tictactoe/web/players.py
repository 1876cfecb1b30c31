"""Pages about players: a player's page (picture, counts, rating) and the leaderboard."""

from __future__ import annotations

from flask import Blueprint, render_template

from tictactoe.rules import ratings
from tictactoe.services import players
from tictactoe.web import auth
from tictactoe.web.current import backend
from tictactoe.web.pictures import LARGE, picture_url, remember_pictures

bp = Blueprint("players", __name__)


@bp.get("/players/<name>")
@auth.signed_in
def player(name: str) -> str:
    found = players.player(backend().ladder, name)
    remember_pictures({found.name: found.picture})  # the Users item carries the picture's hash
    large = picture_url(found.name, found.picture, LARGE)
    return render_template("player.html", player=found, large=large, shown=ratings.shown)


@bp.get("/leaderboard")
@auth.signed_in
def leaderboard() -> str:
    top = players.leaderboard(backend().ladder)
    remember_pictures({p.name: p.picture for p in top})
    return render_template("leaderboard.html", players=top, shown=ratings.shown)
