"""The Live games page: games between people in progress, for any signed-in player to watch."""

from __future__ import annotations

from flask import render_template

from tictactoe.services import live
from tictactoe.web import auth
from tictactoe.web.current import backend
from tictactoe.web.pages.blueprint import bp
from tictactoe.web.pictures import remember_games


@bp.get("/live")
@auth.signed_in
def live_games() -> str:
    found = live.live_games(backend().games)
    remember_games(found)  # the games carry their players' pictures: no read for them
    return render_template("live.html", games=found)
