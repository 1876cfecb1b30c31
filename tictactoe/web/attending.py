"""What one stream told its page last: the game, who is here, and when the win may be claimed.

A game's stream sends `event: presence` with `{"here": [the game's players who have it open],
"watchers": <other signed-in people with it open>}` when it learns who is here and whenever
that changes. The game's `claimable_at` counts the absence of the player to move, so when
presence moves it, the game goes out again (same version, same `id:`) with the new time.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from typing import Any

from tictactoe.rules.board import Game, Status
from tictactoe.rules.presence import Here, left_at, shown
from tictactoe.services import games
from tictactoe.web.current import backend
from tictactoe.web.present import etag, game_json


class Told:
    """The game and presence one stream sent, so it sends only what changed."""

    def __init__(self, game: Game | None = None) -> None:
        self.game = game  # the newest state of the stream's game (None: a player's stream)
        self.here: Here | None = None  # None: not known yet (claims count the turn timeout)
        self.presence: dict[str, Any] | None = None
        self.claimable_at: str | None = None

    def game_event(self, game: Game) -> str:
        """Return the game's event (its claimable_at counting who is away), and remember it."""
        mine = self.game is not None and self.game.id == game.id
        if mine:
            self.game = game
            if self.here is None:  # until the first presence comes: as a GET would say it
                self.here = games.who_is_here(backend().presence, game)
        data = game_json(game, left_at=left_at(game, self.here) if mine else None)
        if self.game is game:
            self.claimable_at = data["claimable_at"]
        body = json.dumps(data, separators=(",", ":"))
        return f"event: game\nid: {etag(game)}\ndata: {body}\n\n"

    def presence_events(self, here: Here) -> Iterator[str]:
        """Yield the presence event if what it shows changed, and the game again if its
        claimable_at moved with it."""
        self.here = here
        game = self.game
        if game is None:
            return
        now = shown(here, game.players)
        if now != self.presence:
            self.presence = now
            yield f"event: presence\ndata: {json.dumps(now, separators=(',', ':'))}\n\n"
        if game.status is Status.IN_PROGRESS:
            before = self.claimable_at
            event = self.game_event(game)
            if self.claimable_at != before:
                yield event


def hung_up(peer: socket.socket) -> bool:
    """Return True if the other end of `peer` closed it (a stream's page, or nginx, left).

    A stream's client sends nothing after its request, so a socket that reads as ready with
    nothing to read was closed; any error says the same. Never waits (gevent's select)."""
    try:
        ready, _, _ = select.select([peer], [], [], 0)
        return bool(ready) and peer.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True
