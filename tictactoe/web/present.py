"""How a game looks on the wire: JSON fields, and the ETag that names its state."""

from __future__ import annotations

import re
from typing import Any

from tictactoe.rules import ratings
from tictactoe.rules.board import EMPTY, Game, claimable_at, is_board
from tictactoe.store import Player
from tictactoe.web.current import backend
from tictactoe.web.pictures import LARGE, picture_url

_ETAG = re.compile(r'(?:W/)?"(\d+)-([XO-]{9})"')


def game_json(game: Game, turn_timeout: int | None = None) -> dict[str, Any]:
    """Return the API's representation of a game (`turn_timeout`: the app's, by default)."""
    # The game carries its players' picture hashes, so its JSON costs no read.
    host_url = picture_url(game.host, game.host_picture)
    opponent_url = picture_url(game.opponent, game.opponent_picture) if game.opponent else None
    if turn_timeout is None:
        turn_timeout = backend().settings.turn_timeout_seconds
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
        "claimable_at": claimable_at(game, turn_timeout),
    }


def etag(game: Game) -> str:
    """Name the game's state: its version, and the board, which lets a move skip a read."""
    return f"{game.version}-{game.board}"


def seen_board(header_or_field: str | None) -> str | None:
    """Return the board named by a game state the client echoes back (its ETag), if well-formed."""
    if not header_or_field:
        return None
    found = _ETAG.fullmatch(header_or_field.strip()) or _ETAG.fullmatch(f'"{header_or_field}"')
    board = found.group(2) if found else None
    return board if is_board(board) else None


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
