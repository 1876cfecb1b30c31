"""How a game looks on the wire: JSON fields, and the ETag that names its state."""

from __future__ import annotations

import re
from typing import Any

from flask import Request, Response, jsonify

from tictactoe.rules import ratings
from tictactoe.rules.board import COMPUTER, EMPTY, Game, Seen, claimable_at
from tictactoe.rules.computer import LEVELS
from tictactoe.services.games import absent_since
from tictactoe.store import Player
from tictactoe.web.current import backend
from tictactoe.web.pictures import LARGE, picture_url

# "<version>-<board>", and "-<level>" after it in a game against the computer.
_ETAG = re.compile(r'(?:W/)?"(\d+)-([XO-]{9})(?:-(' + "|".join(LEVELS) + r'))?"')


def game_json(
    game: Game, turn_timeout: int | None = None, left_at: str | None = None
) -> dict[str, Any]:
    """Return the API's representation of a game (`turn_timeout`: the app's, by default;
    `left_at`: when the player to move left the game, if presence says they did)."""
    # The game carries its players' picture hashes, so its JSON costs no read.
    host_url = picture_url(game.host, game.host_picture)
    opponent_url = picture_url(game.opponent, game.opponent_picture) if game.opponent else None
    settings = backend().settings
    if turn_timeout is None:
        turn_timeout = settings.turn_timeout_seconds
    line = game.line
    return {
        "id": game.id,
        "host": game.host,
        "opponent": game.opponent,
        "status": str(game.status),
        "board": ["" if c == EMPTY else c for c in game.board],
        "x_player": game.x_player,
        "o_player": game.o_player,
        "turn": game.turn,
        "winner": game.winner,
        "created_at": game.created_at,
        "updated_at": game.updated_at,
        "host_avatar_url": host_url,
        "opponent_avatar_url": opponent_url,
        "moves": list(game.moves),
        "line": list(line) if line else None,
        "rematch": game.rematch,
        # The earlier of the turn timeout and the absence allowed (tictactoe/rules/board.py).
        "claimable_at": claimable_at(game, turn_timeout, left_at, settings.away_claim_seconds),
        "computer": game.level,
        # Decided by the write that finishes the game: null until then (and in a list's
        # finished entry, whose index does not hold it); never rated against the computer.
        "rated": False if game.level or game.opponent == COMPUTER else game.rated,
    }


def game_response(game: Game, status: int = 200) -> Response:
    """Return the game's JSON with the ETag of its state, to be revalidated on every use.

    Every view that answers with a game answers with this (the API's, Play now's, the
    computer's), so any such answer is what a poll of the game would get.
    """
    # A game being played asks presence once, so claimable_at counts the absence too; an
    # ETag names the game's state only, so a poll's 304 keeps the presence it had.
    left = absent_since(backend().presence, game)
    response = jsonify(game_json(game, left_at=left))
    response.status_code = status
    response.set_etag(etag(game))
    response.headers["Cache-Control"] = "no-cache"
    return response


def unchanged(game: Game, request: Request) -> Response | None:
    """Return the 304 a poll gets when its If-None-Match names the game's state, else None.

    Checked before the game's JSON is built: most polls are answered so, and the JSON (with
    two picture URLs) is a tenth of a poll's CPU."""
    tag = etag(game)
    if not request.if_none_match.contains_weak(tag):
        return None
    response = Response(status=304)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def etag(game: Game) -> str:
    """Name the game's state: its version, and the board, which lets a move skip a read.

    A game against the computer adds its level, so its moves skip the read too.
    """
    level = f"-{game.level}" if game.level else ""
    return f"{game.version}-{game.board}{level}"


def seen_board(header_or_field: str | None) -> Seen | None:
    """Return the state (board, and level) a client echoes back in the ETag, if well-formed."""
    if not header_or_field:
        return None
    found = _ETAG.fullmatch(header_or_field.strip()) or _ETAG.fullmatch(f'"{header_or_field}"')
    return Seen(found.group(2), found.group(3)) if found else None


def player_json(player: Player, size: int = LARGE) -> dict[str, Any]:
    """Return the API's representation of a player's results (the rating rounded for display)."""
    return {
        "username": player.name,
        "avatar_url": picture_url(player.name, player.picture, size),
        "wins": player.wins,
        "losses": player.losses,
        "ties": player.ties,
        "rating": ratings.shown(player.rating),
    }
