"""Live updates in tests: a redis-server of a test module's own, and an SSE reader.

`RedisServer` is Debian's redis-server on a free loopback port (devstack/redis_server.py),
which a test may stop and start again on the same port (the bus going down and coming back).

`EventStream` reads a Server-Sent Events response of a Flask test client incrementally: one
thread of its own sends the GET (unbuffered), reads the body chunk by chunk and closes it, all
from that thread (a stream_with_context generator must be iterated and closed from the same
thread). The test reads the parsed messages from a queue, with timeouts. A game's stream also
tells who has the game open (`event: presence`): only a stream made with `presence=True` keeps
those events, so the tests of everything else read the stream as before presence. `close()` asks the
thread to stop after the next chunk: the stream's HEARTBEAT must be short (the `heartbeat`
fixtures set it), so a chunk always comes soon.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devstack import processes, redis_server
from tests.support.openapi import CheckedClient
from tictactoe import create_app
from tictactoe.config import Settings

WAIT = 10.0  # seconds a test waits for something that should come at once (a loaded CI box)
_END = object()


class RedisServer:
    """A throwaway redis-server on 127.0.0.1, stopped and started by the test that owns it."""

    def __init__(self, home: Path) -> None:
        self.port = processes.free_port()
        self.url = redis_server.url(self.port)
        self._log = home / "redis.log"
        self._proc: Any = None

    def start(self) -> None:
        self._proc = redis_server.start(self.port, self._log)

    def stop(self) -> None:
        if self._proc is not None:
            self.resume()
            processes.stop(self._proc)
            self._proc = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are taken, nothing is answered."""
        os.kill(self._proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGCONT)


@contextmanager
def running_redis(home: Path) -> Iterator[RedisServer]:
    """Run a redis-server of its own (its log under `home`); stop it afterwards."""
    server = RedisServer(home)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def push_app(settings: Settings, url: str) -> Any:
    """The app on `settings` with push on, through the bus at `url`; every answer checked."""
    app = create_app(replace(settings, push_url=url))
    app.config["TESTING"] = True
    app.test_client_class = CheckedClient
    return app


@dataclass(frozen=True)
class Message:
    """One block of a stream (up to a blank line): its fields, and any comment lines."""

    event: str | None = None
    id: str | None = None
    data: str | None = None
    retry: str | None = None
    comments: tuple[str, ...] = ()

    def json(self) -> Any:
        assert self.data is not None, self
        return json.loads(self.data)


def parse(block: str) -> Message:
    """Parse one block of the text/event-stream format (the lines between blank lines)."""
    fields: dict[str, str] = {}
    comments: list[str] = []
    for line in block.split("\n"):
        if line.startswith(":"):
            comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data" and "data" in fields:
            fields["data"] += "\n" + value
        elif name in ("event", "id", "data", "retry"):
            fields[name] = value
        else:
            raise AssertionError(f"not a Server-Sent Events field: {line!r}")
    return Message(comments=tuple(comments), **fields)


class EventStream:
    """GET `path` on `client` as an EventSource would, and read it in a thread of its own."""

    def __init__(
        self,
        client: Any,
        path: str,
        headers: dict[str, str] | None = None,
        wait: float = WAIT,
        query: dict[str, str] | None = None,
        presence: bool = False,
    ) -> None:
        self.path = path
        self._query = query
        self._presence = presence
        self._messages: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._response: Any = None
        self._error: BaseException | None = None
        self.ended = False
        self.body: Any = None  # the JSON of an answer that is not a stream
        self._thread = threading.Thread(
            target=self._run, args=(client, headers or {}), name=f"sse {path}", daemon=True
        )
        self._thread.start()
        if not self._opened.wait(wait):
            raise AssertionError(f"GET {path} did not answer within {wait} s")
        if self._error is not None:
            raise AssertionError(f"GET {path} failed") from self._error
        self.status: int = self._response.status_code
        self.headers: Any = self._response.headers

    # -- the reading thread ------------------------------------------------------------------

    def _run(self, client: Any, headers: dict[str, str]) -> None:
        try:
            response = client.get(
                self.path, headers=headers, query_string=self._query, buffered=False
            )
        except BaseException as err:  # reported by the constructor
            self._error = err
            self._opened.set()
            return
        self._response = response
        try:
            if response.mimetype != "text/event-stream":
                self.body = response.get_json(silent=True)
                return
            self._opened.set()
            pending = ""
            for chunk in response.response:
                pending += chunk.decode() if isinstance(chunk, bytes) else chunk
                *blocks, pending = pending.split("\n\n")
                for block in blocks:
                    message = parse(block)
                    if message.event != "presence" or self._presence:
                        self._messages.put(message)
                if self._stop.is_set():
                    break
        except BaseException as err:
            self._messages.put(err)
        finally:
            response.close()  # ends the generator here, in the thread that iterated it
            self._opened.set()
            self._messages.put(_END)

    # -- what the test reads -----------------------------------------------------------------

    def next(self, wait: float = WAIT) -> Message | None:
        """Return the next block, or None once the stream has ended; fail after `wait` s."""
        if self.ended:
            return None
        try:
            item = self._messages.get(timeout=wait)
        except queue.Empty:
            raise AssertionError(f"{self.path}: nothing within {wait} s") from None
        if item is _END:
            self.ended = True
            return None
        if isinstance(item, BaseException):
            raise AssertionError(f"{self.path}: reading the stream failed") from item
        message: Message = item
        return message

    def next_event(self, wait: float = WAIT) -> Message:
        """Return the next block that is an event (skipping comments and `retry:`)."""
        deadline = time.monotonic() + wait
        while True:
            message = self.next(max(0.0, deadline - time.monotonic()))
            if message is None:
                raise AssertionError(f"{self.path}: the stream ended, expecting an event")
            if message.event is not None:
                return message

    def events_until(self, done: Callable[[Message], bool], wait: float = WAIT) -> list[Message]:
        """Return the events up to and including the first for which `done` is true."""
        deadline, seen = time.monotonic() + wait, []
        while True:
            seen.append(self.next_event(max(0.0, deadline - time.monotonic())))
            if done(seen[-1]):
                return seen

    def no_event_for(self, seconds: float) -> None:
        """Fail if an event comes within `seconds` (comments are fine); the stream stays open."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self._messages.get(timeout=left)
            except queue.Empty:
                return
            if item is _END:
                raise AssertionError(f"{self.path}: the stream ended")
            if isinstance(item, BaseException):
                raise AssertionError(f"{self.path}: reading the stream failed") from item
            assert item.event is None, f"{self.path}: unexpected {item}"

    def wait_for_end(self, wait: float = WAIT) -> list[Message]:
        """Wait until the server ends the stream; return what came before the end."""
        deadline, seen = time.monotonic() + wait, []
        while (message := self.next(max(0.0, deadline - time.monotonic()))) is not None:
            seen.append(message)
        return seen

    def close(self, wait: float = WAIT) -> None:
        """Stop reading and close the response (the server forgets the stream)."""
        self._stop.set()
        self._thread.join(wait)
        if self._thread.is_alive():
            raise AssertionError(f"{self.path}: the reader did not stop within {wait} s")

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tab(app: Any, who: Any) -> Any:
    """A new client of `app` with the session cookie of `who` (an ApiPlayer): another tab."""
    other = app.test_client()
    other.set_cookie("session", who.client.get_cookie("session").value)
    return other


def watch(app: Any, who: Any, path: str, **headers: str) -> EventStream:
    """Open `path` in another tab of `who`'s session; it must answer 200 with a stream."""
    stream = EventStream(tab(app, who), path, headers)
    assert stream.status == 200, (stream.status, stream.body)
    return stream


def started(stream: EventStream) -> Message:
    """Read what a stream starts with, at once: `retry:`, then the game (or a comment)."""
    assert stream.next(1.0) == Message(retry="1000")
    first = stream.next(1.0)  # at once: not after a heartbeat
    assert first is not None
    return first


def game_events(game: dict[str, Any] | str) -> str:
    """The path of a game's stream."""
    return f"/api/games/{game if isinstance(game, str) else game['id']}/events"


def eventually(check: Callable[[], Any], wait: float = WAIT, every: float = 0.05) -> Any:
    """Return the first truthy result of `check()`, trying for up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, f"not true within {wait} s: {check}"
            return result
        time.sleep(every)
