"""The load generator: concurrent pairs playing complete games against the running app.

It runs in a process of its own (`measure` spawns it), one thread per pair, each player with
its own keep-alive HTTP session. Players are registered before the timed window, because
password hashing is deliberately slow and is not what a move costs. Every run is bounded in
time and in moves.

A pair plays as two browsers do: the host invites, the opponent accepts, the host's page
polls once and sees it; then each move is the API POST the page sends (with X-Game-State),
and the other player's poll (If-None-Match) sees it once. Games alternate a 7-move win and a
9-move tie. A move's latency is its POST's round trip.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any
from urllib.parse import urlsplit

import requests

from bench.flows import PASSWORD, TIE_IN_9, WIN_IN_7


@dataclass
class Player:
    """A registered player's cookies and CSRF token, passed to the load process."""

    name: str
    cookies: dict[str, str]
    csrf: str


def register_players(base_url: str, names: list[str]) -> list[Player]:
    """Register players through the API, two at a time (one per gunicorn worker)."""

    def register(name: str) -> Player:
        with requests.Session() as s:
            token = s.get(f"{base_url}/api/csrf").json()["csrf_token"]
            r = s.post(
                f"{base_url}/api/register",
                json={"username": name, "password": PASSWORD},
                headers={"X-CSRFToken": token},
            )
            r.raise_for_status()
            token = s.get(f"{base_url}/api/csrf").json()["csrf_token"]
            return Player(name, s.cookies.get_dict(), token)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(register, names))


def measure(base_url: str, players: list[Player], seconds: float, max_moves: int) -> dict:
    """Run the load in a separate process; return its figures."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(run, base_url, players, seconds, max_moves).result(seconds + 120)


@dataclass
class _Tally:
    """What the pairs saw, shared by their threads."""

    deadline: float
    max_moves: int
    moves: list[float] = field(default_factory=list)  # latency (s) of moves done in time
    polls: list[float] = field(default_factory=list)
    requests: int = 0
    moves_sent: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def going(self) -> bool:
        return time.perf_counter() < self.deadline and len(self.moves) < self.max_moves


@dataclass
class Answer:
    """An HTTP response, read whole."""

    status_code: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ApiBrowser:
    """One player's keep-alive HTTP connection, its cookies, CSRF token and last game state.

    Plain http.client rather than requests: the load generator shares the 2 cores with the
    app and DynamoDB Local, so it should spend as little CPU per request as it can.
    """

    def __init__(self, base_url: str, player: Player) -> None:
        self.base, self.name, self.csrf = base_url, player.name, player.csrf
        self.player = player
        where = urlsplit(base_url)
        self.host, self.port = where.hostname or "127.0.0.1", where.port or 80
        self.cookies = dict(player.cookies)
        self.cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection: http.client.HTTPConnection | None = None
        self.state = ""

    def send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        """Send one request on the kept-alive connection (reconnecting once if it was closed)."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body, {"Cookie": self.cookie, **headers})
                r = self.connection.getresponse()
                self._keep(r.headers.get_all("Set-Cookie") or [])
                return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _keep(self, set_cookies: list[str]) -> None:
        """Keep cookies the app sets, as a browser does (a session re-check renews the cookie,
        and a client that ignored it would be re-checked on every request)."""
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if set_cookies:
            self.cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def post(self, path: str, body: Any, **headers: str) -> Answer:
        data = json.dumps(body).encode() if body is not None else b""
        return self.send(
            "POST",
            path,
            data,
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf, **headers},
        )

    def upload_picture(self, jpeg: bytes) -> None:
        with requests.Session() as http_session:
            http_session.cookies.update(self.player.cookies)
            r = http_session.put(
                f"{self.base}/api/me/avatar",
                files={"image": ("me.jpg", jpeg, "image/jpeg")},
                headers={"X-CSRFToken": self.csrf},
            )
        if r.status_code != 201:
            raise RuntimeError(f"picture upload: {r.status_code}")

    def take(self, response: Answer, expected: int) -> dict[str, Any]:
        if response.status_code != expected:
            raise RuntimeError(f"expected {expected}, got {response.status_code}")
        self.state = response.headers["etag"].strip('"')
        game: dict[str, Any] = response.json()
        return game

    def poll(self, game_id: str, tally: _Tally) -> None:
        started = time.perf_counter()
        r = self.send(
            "GET",
            f"/api/games/{game_id}",
            b"",
            {"Accept": "application/json", "If-None-Match": f'"{self.state}"'},
        )
        took = time.perf_counter() - started
        self.take(r, 200)
        with tally.lock:
            tally.polls.append(took)
            tally.requests += 1


def _play(host: ApiBrowser, opponent: ApiBrowser, cells: tuple[int, ...], tally: _Tally) -> None:
    game = host.take(host.post("/api/games", {"opponent": opponent.name}), 201)
    opponent.take(opponent.post(f"/api/games/{game['id']}/accept", None), 200)
    with tally.lock:
        tally.requests += 2
    host.poll(game["id"], tally)
    players = (opponent, host)
    for turn, cell in enumerate(cells):
        if not tally.going():
            return
        mover, watcher = players[turn % 2], players[(turn + 1) % 2]
        started = time.perf_counter()
        r = mover.post(
            f"/api/games/{game['id']}/moves", {"cell": cell}, **{"X-Game-State": mover.state}
        )
        done = time.perf_counter()
        mover.take(r, 200)
        with tally.lock:
            tally.requests += 1
            tally.moves_sent += 1
            if done <= tally.deadline:
                tally.moves.append(done - started)
        watcher.poll(game["id"], tally)


def _pair(host: ApiBrowser, opponent: ApiBrowser, tally: _Tally) -> None:
    games = 0
    try:
        while tally.going():
            _play(host, opponent, (WIN_IN_7, TIE_IN_9)[games % 2], tally)
            games += 1
    except Exception as err:  # report it; the run's figures say how far it got
        with tally.lock:
            tally.errors.append(f"{type(err).__name__}: {err}")


def run(base_url: str, players: list[Player], seconds: float, max_moves: int) -> dict:
    """Let len(players)//2 pairs play for `seconds` (or `max_moves`); return the figures."""
    browsers = [ApiBrowser(base_url, p) for p in players]
    pairs = list(zip(browsers[::2], browsers[1::2], strict=True))
    cpu = time.process_time()
    started = time.perf_counter()
    tally = _Tally(deadline=started + seconds, max_moves=max_moves)
    threads = [threading.Thread(target=_pair, args=(h, o, tally)) for h, o in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    window = min(time.perf_counter(), tally.deadline) - started
    return summary(tally.moves, tally.polls, window) | {
        "pairs": len(pairs),
        "requests": tally.requests,
        "moves_sent": tally.moves_sent,
        "cpu_s": time.process_time() - cpu,
        "errors": tally.errors,
    }


def summary(moves: list[float], polls: list[float], window: float) -> dict[str, Any]:
    """Moves per second and latency percentiles (ms)."""
    return {
        "window_s": window,
        "moves": len(moves),
        "moves_per_s": len(moves) / window if window else 0.0,
        "p50_ms": _percentile(moves, 50),
        "p95_ms": _percentile(moves, 95),
        "p99_ms": _percentile(moves, 99),
        "poll_p50_ms": _percentile(polls, 50),
        "poll_p99_ms": _percentile(polls, 99),
    }


def _percentile(samples: list[float], pct: int) -> float:
    if len(samples) < 2:
        return samples[0] * 1000 if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1] * 1000
