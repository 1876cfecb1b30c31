"""One player's browser, push on, as plain HTTP: its pages, its forms and its event streams.

A `Page` is the player's keep-alive connection to the web process (bench/load.py's
ApiBrowser: cookies kept as a browser keeps them), loading pages as a browser does (the
HTML, whose CSRF token and game state it reads; the static files are in the browser's cache),
posting forms and following their 303 to the page they point to, and posting moves as the
game page's script does. An `EventStream` is one EventSource: a GET of a stream path on the
stream process, read line by line; `wait_for` reads events until one satisfies the page.
"""

from __future__ import annotations

import http.client
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.flows import _GAME, _META_CSRF, _STATE, _found
from bench.load import ApiBrowser, Player

TIMEOUT = 30  # seconds a stream may stay silent while a page waits for an event
# A stream refused (429: the player has 8 open on the process) is opened again after this,
# as the page's EventSource wrapper does (bench: at most REOPENS times).
REOPEN_WAIT, REOPENS = 1.0, 10


class Refused(RuntimeError):
    """The stream process refused a stream (429 or 503)."""


@dataclass
class Event:
    name: str
    id: str
    data: str


class EventStream:
    """One open stream: `/api/games/<id>/events` or `/api/me/events`."""

    def __init__(self, base_url: str, path: str, cookie: str) -> None:
        where = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(where.hostname, where.port, timeout=TIMEOUT)
        headers = {"Cookie": cookie, "Accept": "text/event-stream", "Cache-Control": "no-cache"}
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        if self.response.status in (429, 503):
            self.response.read()
            self.connection.close()
            raise Refused(f"stream {path}: {self.response.status}")
        if self.response.status != 200:
            raise RuntimeError(f"stream {path}: {self.response.status}")
        self.received = 0

    def next(self) -> Event:
        """Read up to the next event (comments and a lone `retry:` are not events)."""
        name, ident, data = "message", "", []
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("the stream ended")
            text = line.decode().rstrip("\r\n")
            if not text:
                if data:
                    self.received += 1
                    return Event(name, ident, "\n".join(data))
                continue
            if text.startswith(":"):
                continue
            key, _, value = text.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                name = value
            elif key == "id":
                ident = value
            elif key == "data":
                data.append(value)

    def wait_for(self, wanted: Callable[[Event], bool]) -> Event:
        while True:
            event = self.next()
            if wanted(event):
                return event

    def close(self) -> None:
        """Leave the page. The connection is reset rather than shut (a browser's FIN): the
        stream process learns it at its next heartbeat write, not the one after, so a player's
        closed streams, which it counts against 8 a player until then, go sooner."""
        if self.connection.sock is not None:
            self.connection.sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        self.connection.close()


class Page(ApiBrowser):
    """A player's browser tab: the page it shows, its CSRF token, the game state it saw."""

    def __init__(self, base_url: str, stream_url: str, player: Player) -> None:
        super().__init__(base_url, player)
        self.stream_url = stream_url
        self.counts: dict[str, int] = {}

    def count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def load(self, path: str, kind: str) -> str:
        """GET a page and keep its CSRF token."""
        answer = self.send("GET", path, b"", {"Accept": "text/html"})
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")
        self.count(kind)
        page = answer.body.decode()
        self.csrf = _found(_META_CSRF, page, "CSRF token")
        return page

    def post_form(self, path: str, kind: str, **fields: str) -> tuple[str, str]:
        """Post a form; load the game page its 303 points to; return that path and page."""
        body = urlencode({"csrf_token": self.csrf, **fields}).encode()
        answer = self.send(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"POST {path}: {answer.status_code} {answer.body[:200]!r}")
        self.count(kind)
        location = urlsplit(answer.headers["location"])
        path = location.path + (f"?{location.query}" if location.query else "")
        return path, self.load(path, "game_page")

    def home(self) -> EventStream:
        """Load the home page; it opens the player's own stream (bench: read from it)."""
        self.load("/", "home")
        return self.open("/api/me/events")

    def invite(self, opponent: str) -> str:
        location, page = self.post_form("/games", "invite", opponent=opponent)
        self.state = _found(_STATE, page, "game state")
        return _found(_GAME, location, "game id")

    def accept(self, game_id: str) -> None:
        _, page = self.post_form(f"/games/{game_id}/accept", "accept")
        self.state = _found(_STATE, page, "game state")

    def watch(self, game_id: str) -> EventStream:
        """Open the game page's stream; it starts with the game as it is."""
        stream = self.open(f"/api/games/{game_id}/events")
        stream.wait_for(lambda e: e.name == "game")
        return stream

    def open(self, path: str) -> EventStream:
        self.count("stream")
        for _ in range(REOPENS):
            try:
                return EventStream(self.stream_url, path, self.cookie)
            except Refused:
                self.count("stream refused")
                time.sleep(REOPEN_WAIT)
        return EventStream(self.stream_url, path, self.cookie)

    def move(self, game_id: str, cell: int) -> Any:
        """POST the move as the page's script does; the answer is read whole."""
        answer = self.post(
            f"/api/games/{game_id}/moves", {"cell": cell}, **{"X-Game-State": self.state}
        )
        self.take(answer, 200)
        self.count("move")
        return answer


def names_game(game_id: str) -> Callable[[Event], bool]:
    """An event about the game `game_id` (on the player's own stream)."""
    return lambda event: f'"id":"{game_id}"' in event.data
