"""Notices on the push bus: "this game changed", "this game is gone", "these sessions ended".

A notice names what changed and who it concerns. A "changed" notice also carries the game as
its write left it, signed with a key derived from the app's secret key (HMAC-SHA256): whoever
forwards it then has the game without reading the Games table. A notice whose state is missing
or not signed with one of the app's keys (an older instance during a deploy, a key that was
rotated out, anyone else who can publish on the bus) carries no game: the forwarder reads it
from the table, under the same rules as a GET. Pure values, no I/O.

Each notice goes out under the topics of those who watch it (`topics`): its game (the game's
page) and each of its players (their home page), or, for ended sessions, the player's sessions
(every stream of theirs). The bus turns a topic into a channel name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, fields
from typing import Any

from tictactoe.rules.board import Game, Status


@dataclass(frozen=True)
class Changed:
    """Game `game_id` is now at `version`; `players` are its host and opponent (if any)."""

    game_id: str
    version: int
    players: tuple[str, ...]
    game: Game | None = None  # the game at `version`, when the notice carried it signed


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


@dataclass(frozen=True)
class HereChanged:
    """Someone opened or closed game `game_id`'s page: its streams read who is here again."""

    game_id: str


Notice = Changed | Gone | Revoked | HereChanged

GAME, PLAYER, SESSIONS = "g", "p", "s"  # a topic's kinds: short, they go into channel names


@dataclass(frozen=True)
class Topic:
    """What a channel carries: one game's changes, one player's games, or their sessions."""

    kind: str  # GAME, PLAYER or SESSIONS
    name: str  # the game's id, or the player's name


def topics(notice: Notice) -> tuple[Topic, ...]:
    """Return the topics `notice` goes out under: its game's and its players', or sessions'."""
    if isinstance(notice, Revoked):
        return (Topic(SESSIONS, notice.player),)
    if isinstance(notice, HereChanged):
        return (Topic(GAME, notice.game_id),)
    return (Topic(GAME, notice.game_id), *(Topic(PLAYER, p) for p in notice.players))


def changed(game: Game) -> Changed:
    """Return the notice that `game` changed (was created, accepted, moved, finished ...)."""
    return Changed(game.id, game.version, _players(game), game)


def key(secret: str) -> bytes:
    """Return the key that signs notices, derived from one of the app's secret keys."""
    return hashlib.sha256(b"tictactoe notices\0" + secret.encode()).digest()


def gone(game: Game) -> Gone:
    """Return the notice that `game` no longer exists."""
    return Gone(game.id, _players(game))


def encode(notice: Notice, signing: bytes | None = None, copy: bool = False) -> str:
    """Return the notice as the JSON text the bus carries (its game signed with `signing`);
    `copy` marks the one sent on the old channel as well as on its own (see `decode_legacy`)."""
    mark = {"copy": True} if copy else {}  # before the signature: older releases sign it too
    if isinstance(notice, Changed):
        body: dict[str, Any] = {
            "game": notice.game_id,
            "version": notice.version,
            "players": list(notice.players),
        } | mark
        if signing is not None and notice.game is not None:
            body["state"] = _state(notice.game)
            body["sig"] = _signature(signing, body)
        return json.dumps(body)
    if isinstance(notice, Gone):
        return json.dumps({"gone": notice.game_id, "players": list(notice.players)} | mark)
    if isinstance(notice, HereChanged):  # (an older release's listener drops it, unknown)
        return json.dumps({"here": notice.game_id} | mark)
    return json.dumps({"revoked": notice.player, "epoch": notice.epoch} | mark)


def decode(text: str | bytes, keys: tuple[bytes, ...] = ()) -> Notice | None:
    """Return the notice in `text`, or None for anything malformed (the bus is shared).

    A changed game's state is kept only when it is signed with one of `keys`.
    """
    body = _body(text)
    return None if body is None else _notice(body, keys)


def decode_legacy(text: str | bytes, keys: tuple[bytes, ...] = ()) -> Notice | None:
    """Return the notice heard on the old single channel, or None for a copy: a release that
    marks copies sent it on its own channels too, where the listener hears it already."""
    body = _body(text)
    return None if body is None or body.get("copy") is True else _notice(body, keys)


def _body(text: str | bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _notice(body: dict[str, Any], keys: tuple[bytes, ...]) -> Notice | None:
    players = body.get("players", [])
    if not isinstance(players, list) or not all(isinstance(p, str) for p in players):
        return None
    if isinstance(body.get("game"), str) and _whole(body.get("version")):
        game = _signed_game(body, keys)
        return Changed(body["game"], body["version"], tuple(players), game)
    if isinstance(body.get("gone"), str):
        return Gone(body["gone"], tuple(players))
    if isinstance(body.get("here"), str):
        return HereChanged(body["here"])
    epoch = body.get("epoch")
    if isinstance(body.get("revoked"), str) and (epoch is None or _whole(epoch)):
        return Revoked(body["revoked"], epoch)
    return None


# A field's name on the bus where it differs from Game's: the level went out as "computer"
# before it was renamed, and instances of both releases share the bus during a deployment.
_ON_THE_BUS = {"level": "computer"}


def _state(game: Game) -> dict[str, Any]:
    state = {_ON_THE_BUS.get(f.name, f.name): getattr(game, f.name) for f in fields(Game)}
    return state | {"status": str(game.status), "moves": list(game.moves)}


def _signature(signing: bytes, body: dict[str, Any]) -> str:
    unsigned = {k: v for k, v in body.items() if k != "sig"}
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":"))
    return hmac.new(signing, text.encode(), hashlib.sha256).hexdigest()


def _signed_game(body: dict[str, Any], keys: tuple[bytes, ...]) -> Game | None:
    """Return the game a notice carries, if one of `keys` signed it and it names that game."""
    state, sig = body.get("state"), body.get("sig")
    if not isinstance(state, dict) or not isinstance(sig, str):
        return None
    if not any(hmac.compare_digest(_signature(k, body), sig) for k in keys):
        return None
    known = {_ON_THE_BUS.get(f.name, f.name): f.name for f in fields(Game)}
    given = {
        known[k]: v for k, v in state.items() if k in known
    }  # a newer release's extras dropped
    try:  # signed by this app, so well-formed
        given |= {"status": Status(given["status"]), "moves": tuple(given.get("moves", ()))}
        game = Game(**given)
    except (KeyError, TypeError, ValueError):
        return None
    return game if (game.id, game.version) == (body["game"], body["version"]) else None


def _players(game: Game) -> tuple[str, ...]:
    return game.players  # people only: never the computer's seat, which no stream is for


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
