"""The deploy drill's players: pairs playing through the load balancer while pages hold their
streams, and the tally of what a deploy cost them.

Each pair plays game after game over the JSON API (requests, as tests/deploy/test_bundle_runs.py
drives the bundle), and each page follows a stream as EventSource and live.js do: after a
stream ends it waits the stream's `retry:` (1 s) and reconnects; a refused one (a 502 while no
instance answers) is tried again after 1, 2, 4 ... s, at the middle of live.js's jitter.
Every loop is bounded in requests and in time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.support.players import ApiPlayer

MOVES_PER_PAIR = 1500  # a bound; the drill stops the pairs long before
PAUSE = 0.05  # seconds between a pair's requests: steady play, not a flood, on 2 cores
RETRY = 1.0  # the streams' `retry:` (tictactoe/web/streams.py RETRY_MS)
MAX_WAIT = 10.0  # live.js: the longest wait between tries of a refused stream
READ_TIMEOUT = 30.0  # a stream sends a comment every 15 s


@dataclass
class Tally:
    """What the players saw: every request, the failed ones, the moves acknowledged, and how
    long each page was without a stream."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    failed: list[str] = field(default_factory=list)  # 5xx and connection errors
    failed_at: list[float] = field(default_factory=list)  # when each of them came back
    refused: list[str] = field(default_factory=list)  # other 4xx answers, which none expects
    # (host's name, game id, cell, mark) of each move answered 200
    acked: list[tuple[str, str, int, str]] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)  # seconds from a stream's end to the next
    cut: list[str] = field(default_factory=list)  # streams that ended without a `: closed`

    def saw(self, what: str, status: int | None) -> None:
        with self.lock:
            self.requests += 1
            if status is None or status >= 500:
                self.failed.append(f"{what}: {status or 'no answer'}")
                self.failed_at.append(time.monotonic())
            elif status >= 400:
                self.refused.append(f"{what}: {status}")


class Client:
    """Just enough of Flask's test client on requests for ApiPlayer, counted in a Tally.

    A new connection per request: reloading nginx closes the idle keep-alive connections of
    its old workers, and a request sent as one closes fails in the client. That is an artefact
    of the stand-in, not of a deploy: a real load balancer keeps its clients' connections
    while its targets change."""

    def __init__(self, base: str, tally: Tally) -> None:
        self.base = base
        self.tally = tally
        self.session = requests.Session()
        self.session.headers["Connection"] = "close"

    def open(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        what = f"{method} {route_of(path)}"
        try:
            response = self.session.request(method, self.base + path, timeout=10, **kwargs)
        except requests.RequestException:
            self.tally.saw(what, None)
            return None
        self.tally.saw(what, response.status_code)
        response.get_json = response.json  # type: ignore[attr-defined]
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.open(path, "GET", **kwargs)


def route_of(path: str) -> str:
    """The path with a game's id replaced, so failures group by route."""
    parts = path.split("/")
    if len(parts) > 3 and parts[1:3] == ["api", "games"]:
        parts[3] = "<id>"
    return "/".join(parts)


def ok(response: Any, *statuses: int) -> bool:
    """Whether there was an answer, with one of `statuses` (a Response is falsy on 4xx/5xx)."""
    return response is not None and response.status_code in statuses


def play(host: ApiPlayer, guest: ApiPlayer, tally: Tally, stop: threading.Event) -> None:
    """Play games between `host` and `guest` until `stop`, recording each acknowledged move."""
    by_name = {host.name: host, guest.name: guest}
    game: dict[str, Any] | None = None
    for _ in range(MOVES_PER_PAIR):
        if stop.wait(PAUSE):
            return
        if game is None or game["status"] == "FINISHED":
            game = start_game(host, guest)
            continue
        mover = by_name[game["turn"]]
        cell = game["board"].index("")
        mark = "X" if mover.name == game["x_player"] else "O"
        response = mover.move(game, cell)
        if ok(response, 200):
            with tally.lock:
                tally.acked.append((host.name, game["id"], cell, mark))
            game = response.get_json()
        else:  # the move may or may not have landed: read the game as it is
            game = read_game(host, game["id"]) or game


def start_game(host: ApiPlayer, guest: ApiPlayer) -> dict[str, Any] | None:
    invited = host.call("POST", "/api/games", {"opponent": guest.name})
    if not ok(invited, 201):
        return None
    accepted = guest.call("POST", f"/api/games/{invited.get_json()['id']}/accept")
    return accepted.get_json() if ok(accepted, 200) else None  # else: a new invitation


def read_game(player: ApiPlayer, game_id: str) -> dict[str, Any] | None:
    response = player.call("GET", f"/api/games/{game_id}")
    return response.get_json() if ok(response, 200) else None


def missing_moves(hosts: list[ApiPlayer], tally: Tally) -> list[tuple[str, int, str]]:
    """The acknowledged moves that the games, read now by their hosts, do not show."""
    by_name = {host.name: host for host in hosts}
    boards: dict[str, list[str]] = {}
    missing = []
    for host, game_id, cell, mark in tally.acked:
        if game_id not in boards:
            game = read_game(by_name[host], game_id)
            assert game is not None, f"cannot read game {game_id} after the drill"
            boards[game_id] = game["board"]
        if boards[game_id][cell] != mark:
            missing.append((game_id, cell, mark))
    return missing


@dataclass
class Page:
    """A page following `path` on its stream, as a browser tab does, in a thread of its own."""

    base: str
    path: str
    cookies: Any
    tally: Tally
    stop: threading.Event = field(default_factory=threading.Event)
    streaming: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    response: requests.Response | None = None  # the stream open now

    def start(self) -> Page:
        self.thread = threading.Thread(target=self._follow, name=f"page {self.path}", daemon=True)
        self.thread.start()
        return self

    def close(self, timeout: float = 10) -> None:
        """Leave the page: end its stream now, not at the next heartbeat, and wait for it."""
        self.stop.set()
        with self.tally.lock:
            connection = self.response.raw.connection if self.response is not None else None
        if connection is not None and connection.sock is not None:
            try:  # wakes the reading thread, which then closes the response itself
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the page on {self.path} did not stop"

    def _follow(self) -> None:
        session = requests.Session()
        session.cookies.update(self.cookies)
        ended: float | None = None
        tries = 0
        while not self.stop.is_set():
            try:
                response = session.get(
                    self.base + self.path, stream=True, timeout=(5, READ_TIMEOUT)
                )
            except requests.RequestException:
                response = None
            status = None if response is None else response.status_code
            self.tally.saw(f"GET {route_of(self.path)}", status)
            if response is None or response.status_code != 200:
                wait = min(MAX_WAIT, RETRY * 2**tries) * 0.75
                tries += 1
                self.stop.wait(wait)
                continue
            tries = 0
            with self.tally.lock:
                self.response = response
            lines = stream_lines(response)
            if next(lines, None) is not None:  # on a stream once its first line came
                if ended is not None:
                    with self.tally.lock:
                        self.tally.gaps.append(time.monotonic() - ended)
                    ended = None
                self.streaming.set()
                last = ""
                for line in lines:  # until it ends, or the page is closed
                    last = line or last
                if not self.stop.is_set() and not last.startswith(": closed"):
                    with self.tally.lock:  # broken off, not ended by the server
                        self.tally.cut.append(last)
            with self.tally.lock:
                self.response = None
            response.close()
            self.streaming.clear()
            ended = time.monotonic() if ended is None else ended
            self.stop.wait(RETRY)
        session.close()


def stream_lines(response: requests.Response) -> Iterator[str]:
    """The stream's lines, until it ends or breaks off (both: the page reconnects)."""
    try:
        yield from response.iter_lines(chunk_size=None, decode_unicode=True)
    except (requests.RequestException, OSError):
        return
