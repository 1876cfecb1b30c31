"""Notices on the push bus: "this game changed", "this game is gone", "these sessions ended".

A notice names what changed and who it concerns, never the record itself: whoever forwards it
reads the game from the Games table, under the same rules as a GET. Pure values, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tictactoe.rules.board import Game


@dataclass(frozen=True)
class Changed:
    """Game `game_id` is now at `version`; `players` are its host and opponent (if any)."""

    game_id: str
    version: int
    players: tuple[str, ...]


@dataclass(frozen=True)
class Gone:
    """Game `game_id` was deleted (a withdrawn or declined invitation)."""

    game_id: str
    players: tuple[str, ...]


@dataclass(frozen=True)
class Revoked:
    """Every session of `player` issued before `epoch` has ended (None: the account is gone)."""

    player: str
    epoch: int | None


Notice = Changed | Gone | Revoked


def changed(game: Game) -> Changed:
    """Return the notice that `game` changed (was created, accepted, moved, finished ...)."""
    return Changed(game.id, game.version, _players(game))


def gone(game: Game) -> Gone:
    """Return the notice that `game` no longer exists."""
    return Gone(game.id, _players(game))


def encode(notice: Notice) -> str:
    """Return the notice as the JSON text the bus carries."""
    if isinstance(notice, Changed):
        body: dict[str, object] = {"game": notice.game_id, "version": notice.version}
        return json.dumps(body | {"players": list(notice.players)})
    if isinstance(notice, Gone):
        return json.dumps({"gone": notice.game_id, "players": list(notice.players)})
    return json.dumps({"revoked": notice.player, "epoch": notice.epoch})


def decode(text: str | bytes) -> Notice | None:
    """Return the notice in `text`, or None for anything malformed (the bus is shared)."""
    try:
        body = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    players = body.get("players", [])
    if not isinstance(players, list) or not all(isinstance(p, str) for p in players):
        return None
    if isinstance(body.get("game"), str) and _whole(body.get("version")):
        return Changed(body["game"], body["version"], tuple(players))
    if isinstance(body.get("gone"), str):
        return Gone(body["gone"], tuple(players))
    epoch = body.get("epoch")
    if isinstance(body.get("revoked"), str) and (epoch is None or _whole(epoch)):
        return Revoked(body["revoked"], epoch)
    return None


def _players(game: Game) -> tuple[str, ...]:
    return tuple(p for p in (game.host, game.opponent) if p)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
