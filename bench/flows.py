"""Complete games played as two browsers play them, through a Flask test client.

Each player logs in (the form post and the home page it lands on), the host invites from
the home page and lands on the game page, the opponent loads home, accepts and lands on the
game page. Then every move is what the page's script sends: a POST to the API with the
state it last saw in X-Game-State, after which the other player's poll (If-None-Match)
sees the move once. Both players load home at the end.

With push on, a game page opens GET /api/games/<id>/events when it loads, and the other
player's moves reach it there instead of through its poll. `GameStream` opens that stream on
a Flask test client (unbuffered) in a thread of its own, which reads the body and closes it:
a stream_with_context generator keeps its request context while it lives, so it must be
resumed and closed from one thread, and no other request may run in that thread meanwhile.
"""

from __future__ import annotations

import html
import io
import queue
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

PASSWORD = "correct horse battery"
# X (the invited opponent) moves first. A win on the 7th move, and a full-board tie.
WIN_IN_7 = (0, 4, 8, 2, 6, 3, 7)
TIE_IN_9 = (0, 4, 8, 2, 6, 3, 5, 7, 1)

_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_STATE = re.compile(r'data-state="([^"]+)"')
_GAME = re.compile(r"/games/([A-Za-z0-9_-]+)")


def picture() -> bytes:
    """A small photo-like JPEG for a player's picture."""
    image = Image.effect_noise((320, 240), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class FlowError(AssertionError):
    """The app did not answer as a browser expects."""


def _expect(response: Any, status: int, what: str) -> Any:
    if response.status_code != status:
        body = response.get_data(as_text=True)[:200]
        raise FlowError(f"{what}: expected {status}, got {response.status_code}: {body}")
    return response


def _found(pattern: re.Pattern[str], text: str, what: str) -> str:
    match = pattern.search(text)
    if match is None:
        raise FlowError(f"no {what} in the page")
    return html.unescape(match.group(1))


@dataclass
class Browser:
    """One player's browser: a test client with its cookies, the CSRF token and game state."""

    client: Any
    name: str
    csrf: str = ""
    state: str = ""
    stream: GameStream | None = None  # the game page's own stream, with push on

    def load(self, path: str) -> str:
        """GET a page, following a redirect like a browser, and keep its CSRF token."""
        page = _expect(self.client.get(path), 200, f"GET {path}").get_data(as_text=True)
        self.csrf = _found(_META_CSRF, page, "CSRF token")
        return page

    def post_form(self, path: str, **fields: str) -> tuple[str, str]:
        """Post a form and load the page its 303 points to; return that path and page."""
        response = self.client.post(path, data={"csrf_token": self.csrf, **fields})
        location = _expect(response, 303, f"POST {path}").headers["Location"]
        return location, self.load(location)

    def sign_up(self) -> None:
        self.load("/")
        self.post_form("/signup", username=self.name, password=PASSWORD)

    def log_in(self) -> None:
        """Open the welcome page, post the login form, land on home."""
        self.load("/")
        self.post_form("/login", username=self.name, password=PASSWORD)

    def invite(self, opponent: str) -> str:
        """Invite from the home page, land on the game page; return the game's id."""
        location, page = self.post_form("/games", opponent=opponent)
        self.state = _found(_STATE, page, "game state")
        return _found(_GAME, location, "game id")

    def accept(self, game_id: str) -> None:
        """Accept from the home page's invitation, land on the game page."""
        _, page = self.post_form(f"/games/{game_id}/accept")
        self.state = _found(_STATE, page, "game state")

    def upload_picture(self, jpeg: bytes) -> None:
        """Set this player's picture through the API, as the profile page's script would."""
        response = self.client.put(
            "/api/me/avatar",
            data={"image": (io.BytesIO(jpeg), "me.jpg")},
            headers={"X-CSRFToken": self.csrf},
            content_type="multipart/form-data",
        )
        _expect(response, 201, "picture upload")

    def move(self, game_id: str, cell: int) -> dict[str, Any]:
        """Play as the page's script does: one API POST carrying the state it saw."""
        response = self.client.post(
            f"/api/games/{game_id}/moves",
            json={"cell": cell},
            headers={"X-CSRFToken": self.csrf, "X-Game-State": self.state},
        )
        self.state = _expect(response, 200, f"move {cell}").headers["ETag"].strip('"')
        game: dict[str, Any] = response.get_json()
        return game

    def watch(self, game_id: str) -> None:
        """Open the game page's stream, as its script does with push on; read its first event."""
        self.stream = GameStream(self.client, game_id)
        self.state = self.stream.next_state()

    def see(self, game_id: str, push: bool) -> int:
        """See the other player's change: through the page's stream, else its poll."""
        if not push or self.stream is None:
            return self.poll(game_id)
        while True:  # the page's stream also carries this player's own moves: skip them
            state = self.stream.next_state()
            if state != self.state:
                self.state = state
                return 200

    def unwatch(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def poll(self, game_id: str) -> int:
        """Poll as the waiting page does; return the status (200 when something changed)."""
        response = self.client.get(
            f"/api/games/{game_id}",
            headers={"Accept": "application/json", "If-None-Match": f'"{self.state}"'},
        )
        if response.status_code == 200:
            self.state = response.headers["ETag"].strip('"')
        elif response.status_code != 304:
            _expect(response, 200, "poll")
        return response.status_code


def new_pair(app: Any, pictures: bool = False) -> tuple[Browser, Browser]:
    """Sign up a new host and opponent on `app` (with a picture each, if asked)."""
    tag = uuid.uuid4().hex[:8]
    host, opponent = Browser(app.test_client(), f"h{tag}"), Browser(app.test_client(), f"o{tag}")
    for player in (host, opponent):
        player.sign_up()
        if pictures:
            player.upload_picture(picture())
    return host, opponent


def play_game(
    host: Browser,
    opponent: Browser,
    cells: tuple[int, ...],
    step: Callable[[str], None] = lambda name: None,
    push: bool = False,
) -> dict[str, Any]:
    """Play one complete game from login to the home pages after it; return the final game.

    `step(name)` is called after each step, so a caller can measure them one by one. With
    `push` (an app with push on), each game page opens its stream when it loads, and the
    other page sees each change there instead of by polling.
    """
    game_id = _start(host, opponent, step, push)
    players = (opponent, host)  # X, the opponent, moves first
    final: dict[str, Any] = {}
    for turn, cell in enumerate(cells):
        mover, watcher = players[turn % 2], players[(turn + 1) % 2]
        final = mover.move(game_id, cell)
        step(f"move {turn + 1}")
        _expect_change(watcher.see(game_id, push), f"the other page sees move {turn + 1}")
        step(f"the other page sees move {turn + 1}")
    for player in (host, opponent):
        player.unwatch()
    host.load("/")
    step("host loads home")
    opponent.load("/")
    step("opponent loads home")
    return final


def _start(host: Browser, opponent: Browser, step: Callable[[str], None], push: bool) -> str:
    """Log both in, invite, accept, and let the host's page see the accept; return the game."""
    host.log_in()
    step("host logs in")
    opponent.log_in()
    step("opponent logs in")
    game_id = host.invite(opponent.name)
    step("host invites")
    if push:
        host.watch(game_id)
        step("host's page opens its stream")
    opponent.load("/")
    step("opponent loads home")
    opponent.accept(game_id)
    step("opponent accepts")
    if push:
        opponent.watch(game_id)
        step("opponent's page opens its stream")
    _expect_change(host.see(game_id, push), "the host's page sees the accept")
    step("host's page sees the accept")
    return game_id


def _expect_change(status: int, what: str) -> None:
    if status != 200:
        raise FlowError(f"{what}: the poll answered {status}")


WAIT = 30.0  # seconds to wait for an event that is due (a loaded 2-core machine)
_END = object()


class StreamError(AssertionError):
    """The stream did not answer as a page's EventSource expects."""


class GameStream:
    """One open game stream: `next_state()` is the ETag of its next game event."""

    def __init__(self, client: Any, game_id: str) -> None:
        self._path = f"/api/games/{game_id}/events"
        self._states: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        threading.Thread(target=self._read, args=(client,), name=self._path, daemon=True).start()

    def _read(self, client: Any) -> None:
        response = client.get(self._path, buffered=False)
        try:
            if response.status_code != 200:
                self._states.put(StreamError(f"{self._path}: {response.status_code}"))
                return
            pending = ""
            for chunk in response.response:
                pending += chunk.decode() if isinstance(chunk, bytes) else chunk
                *blocks, pending = pending.split("\n\n")
                for block in blocks:
                    fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
                    if fields.get("event") == "game":
                        self._states.put(fields["id"])
                if self._stop.is_set():
                    break
        finally:
            response.close()  # in the thread that iterated it
            self._states.put(_END)

    def next_state(self) -> str:
        """The state (ETag) of the stream's next game event."""
        try:
            got = self._states.get(timeout=WAIT)
        except queue.Empty:
            raise StreamError(f"{self._path}: no event within {WAIT} s") from None
        if isinstance(got, StreamError):
            raise got
        if got is _END:
            raise StreamError(f"{self._path}: the stream ended, expecting an event")
        state: str = got
        return state

    def close(self) -> None:
        """Close once the next chunk comes (an event or the stream's heartbeat)."""
        self._stop.set()
