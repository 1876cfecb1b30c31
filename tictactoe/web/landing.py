"""The game a form post just wrote, carried in the session to the page its redirect opens.

The pages' form posts that write a game (invite, accept, challenge, Play now, the computer,
rematch, resign, a move without JavaScript) answer 303 to the game's page (Post/Redirect/Get:
a reload never posts again), and that page used to read the game the post had just written;
so did the page after the wait's page, which had just read the game strongly once paired.
The write already answered with the game, so the post puts it in the session, which the
app's key signs like the rest of the cookie and which every worker and instance can read.
The page's GET shows it instead of reading only when it is the game the URL names at exactly
the version the redirect names (`?v=`), and no older than LANDING_SECONDS; it is dropped on
that first use, so a reload reads the game as before. The page then shows what its read
could have shown: the read is eventually consistent and only promises that version or later.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from typing import Any

from flask import session

from tictactoe.rules.board import Game, Status
from tictactoe.web import auth

# A browser follows a 303 at once. A redirect followed later than this reads the game: the
# carried game is then no fresher than an eventually consistent read may be (about a second).
LANDING_SECONDS = 2
_KEY = "landing"


def carry(game: Game) -> None:
    """Keep `game`, as the write that made it answered, for the page the redirect opens."""
    carried = [round(auth.clock(), 3), _state(game)]
    # One string, not a nested value: the session interface keeps only flat payloads.
    session[_KEY] = json.dumps(carried, separators=(",", ":"))


def take(game_id: str, version: int) -> Game | None:
    """Return the carried game if it is `game_id` at `version` and fresh; drop it either way."""
    if _KEY not in session:
        return None  # the usual page view: the session is left as it came, not re-signed
    text = session.pop(_KEY)
    try:
        stamp, state = json.loads(text)
        game, age = _game(state), auth.clock() - stamp
    except (TypeError, ValueError, KeyError):  # another release's shape: read instead
        return None
    if (game.id, game.version) != (game_id, version):
        return None
    return game if 0 <= age <= LANDING_SECONDS else None


def _state(game: Game) -> dict[str, Any]:
    """The game's fields as JSON values, those at their default left out to keep it short."""
    state: dict[str, Any] = {}
    for field in fields(Game):
        value = getattr(game, field.name)
        if field.default is MISSING or value != field.default:
            state[field.name] = value
    return state | {"status": str(game.status), "moves": list(game.moves)}


def _game(state: dict[str, Any]) -> Game:
    """Rebuild the game `_state` wrote."""
    state = state | {"status": Status(state["status"]), "moves": tuple(state["moves"])}
    return Game(**state)
