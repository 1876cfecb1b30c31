"""gunicorn settings for the baseline-against-current runs: name each request in the stack.

Loaded with `--config` into both sides' web and stream processes alike (bench/sides.py), so
that a sampling profiler (py-spy, bench/profiles.py) can tell which request a sample belongs
to: each request runs inside a function named after its kind (`request_move`,
`request_home` ...), chosen from its method and path, and a stream's body is sent from inside
`events_stream`. It imports nothing but the standard library, since it runs in the baseline's
processes too, whose code may lack the bench's modules; it changes no request and costs a
regular expression and a call per request (microseconds, against milliseconds of work).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

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


def kind_of(method: str, path: str) -> str:
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
    worker.wsgi = Marked(worker.wsgi)
