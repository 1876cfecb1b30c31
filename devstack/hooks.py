"""gunicorn hooks for what the tests and benchmarks count, switched on by the environment.

The stack (devstack/stack.py) loads this file with `--config` into both of the Procfile's
processes when asked; gunicorn reads it by path, so it imports nothing but the standard
library at the top: it also runs in a baseline's processes, whose tree may lack this package,
and the gevent worker must patch the standard library before anything of the app is imported.
It changes no request.

- DEVSTACK_MARK=1: each request runs inside a function named for its kind (`request_move`,
  `request_home` ...), and a stream's body is sent from inside `events_stream`, so that a
  sampling profiler (py-spy) can tell which request a sample belongs to. It costs a regular
  expression and a call per request (microseconds, against milliseconds of work).
- DEVSTACK_CALLS_DIR: each worker counts its DynamoDB calls with the recorder that
  DEVSTACK_RECORDER names ("module:Class", with `install(client)` and `snapshot()`), on its one
  client, which every store, the limits, the request log and the push hub share. A thread (a
  greenlet in the gevent worker) writes the running totals to
  <dir>/live-<DEVSTACK_LABEL>-<pid>.json whenever they changed, at most every WRITE_EVERY
  seconds, and once more as the worker exits; a reader never sees half a file.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

WRITE_EVERY = 0.25  # seconds; a reader waits a little longer than this before it reads

# (kind, method, path), first match wins. Stream paths as the Procfile's stream process serves.
KINDS = (
    ("stream", "GET", r"/api/(games/[^/]+|me)/events"),
    ("move", "POST", r"/api/games/[^/]+/moves"),
    ("poll", "GET", r"/api/games/[^/]+"),
    ("home", "GET", r"/"),
    ("invite", "POST", r"/games"),
    ("accept", "POST", r"/games/[^/]+/accept"),
    ("game_page", "GET", r"/games/[^/]+"),
)
_MATCHERS = [(kind, method, re.compile(path + r"\Z")) for kind, method, path in KINDS]

_recorder: Any = None  # the worker's call recorder, once installed


def kind_of(method: str, path: str) -> str:
    """Return the kind of request `method` `path` is ("other" when none matches)."""
    for kind, wanted, pattern in _MATCHERS:
        if method == wanted and pattern.match(path):
            return kind
    return "other"


def _named(kind: str) -> Callable[..., Any]:
    """A function `request_<kind>` that serves one request: its name shows in every sample."""

    def serve(app: Any, environ: dict[str, Any], start_response: Any) -> Any:
        return app(environ, start_response)

    name = f"request_{kind}"
    serve.__code__ = serve.__code__.replace(co_name=name, co_qualname=name)
    serve.__name__ = serve.__qualname__ = name
    return serve


def events_stream(body: Iterable[bytes]) -> Iterator[bytes]:
    """Send a stream's events (a generator of its own, so its samples show where they are)."""
    yield from body


class Stream:
    """A stream's body, sent through `events_stream`; closing it closes the app's body even
    when it was never started (the app forgets the stream then)."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        return events_stream(self.body)

    def close(self) -> None:
        if hasattr(self.body, "close"):
            self.body.close()


class Marked:
    """The worker's WSGI app, each request served inside a function named for its kind."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.serve = {kind: _named(kind) for kind, _, _ in KINDS} | {"other": _named("other")}

    def __getattr__(self, name: str) -> Any:  # the app's extensions, for other hooks
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        kind = kind_of(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        body = self.serve[kind](self.app, environ, start_response)
        return Stream(body) if kind == "stream" else body


def post_worker_init(worker: Any) -> None:
    """Install what the environment asks for in a worker that has just booted."""
    global _recorder
    if os.environ.get("DEVSTACK_CALLS_DIR"):
        module, _, name = os.environ["DEVSTACK_RECORDER"].partition(":")
        recorder = getattr(importlib.import_module(module), name)
        _recorder = recorder.install(worker.wsgi.extensions["tictactoe"].dynamodb)
        threading.Thread(target=_keep_writing, args=(_recorder, _out()), daemon=True).start()
    if os.environ.get("DEVSTACK_MARK") == "1":
        worker.wsgi = Marked(worker.wsgi)


def worker_exit(server: Any, worker: Any) -> None:
    """Write the exiting worker's last totals (not when the master reaps a dead worker)."""
    if _recorder is not None and worker.pid == os.getpid():
        _write(_out(), _totals(_recorder))


def _out() -> Path:
    label = os.environ.get("DEVSTACK_LABEL", "app")  # <stack>-<instance>-<web|stream>
    return Path(os.environ["DEVSTACK_CALLS_DIR"]) / f"live-{label}-{os.getpid()}.json"


def _keep_writing(recorder: Any, out: Path) -> None:
    last = None
    while True:
        counted = _totals(recorder)
        if counted != last:
            _write(out, counted)
            last = counted
        time.sleep(WRITE_EVERY)


def _totals(recorder: Any) -> dict[str, Any]:
    """Everything the worker's client did: per request type ("outside": no request)."""
    snapshot = recorder.snapshot()
    return {key: snapshot[key] for key in ("by_type", "by_operation", "seconds")}


def _write(out: Path, counted: dict[str, Any]) -> None:
    partial = out.with_suffix(".tmp")
    partial.write_text(json.dumps(counted))
    partial.replace(out)  # a reader never sees half a file
