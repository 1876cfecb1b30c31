"""Server-Sent Events: a game's stream and a player's own, while push is on ([push].url).

    GET /api/games/<id>/events   who may GET /api/games/<id> (401 signed out, 404 unknown)
    GET /api/me/events           the signed-in player's games: only games they are in

Either takes `?tab=<id>`, the page's browser tab (TAB, else 400): the tab's next stream
replaces its last, which ends with `event: replaced` (tictactoe/services/hub.py).

Each stream starts with the current state (a game's stream: `event: game` with the game's
JSON, `id:` its ETag, then `event: presence`, who has it open: tictactoe/web/attending.py),
so a reconnect (with Last-Event-ID or not) catches up at once; then one event per change, as
the hub delivers them (tictactoe/services/hub.py: it subscribes this process to the stream's
game, or player, and their sessions, while a stream needs them). A
comment line keeps the connection open every HEARTBEAT seconds, through nginx and the load
balancer. A stream ends when its session is revoked (at once, by a notice on the bus; and the
session is checked against the account every RECHECK_SECONDS as a backstop), when it falls
behind, when the bus goes down (with `event: down` first: the page polls at once), when its
tab opens another, and when the process stops (SIGTERM), so a deploy does not wait for it.

In production these paths are served by their own gunicorn process with gevent workers
(Procfile `stream:`, behind the instance's nginx), so thousands of open streams cost a
greenlet each and never wait behind a password hash or a picture.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, request, stream_with_context
from flask.typing import ResponseReturnValue

from tictactoe.adapters import metrics
from tictactoe.rules.board import Game
from tictactoe.services import accounts, games
from tictactoe.services.errors import Invalid
from tictactoe.services.hub import Attended, Closed, Down, Event, Hub, Stream
from tictactoe.web import auth
from tictactoe.web.attending import Told, hung_up
from tictactoe.web.current import backend

HEARTBEAT = 15  # seconds between comment lines; nginx and the load balancer wait 60
RECHECK_SECONDS = 300  # the backstop check of a stream's session against the account
RETRY_MS = 1000  # how long EventSource waits before it reconnects
# A game's stream looks this often (seconds) whether its page hung up, so the player counts as
# gone at once, not at the next heartbeat: their presence is what a claim decides on.
HANG_UP_CHECK = 2.0
TAB = re.compile(r"[A-Za-z0-9_-]{8,64}")  # a page's tab id: what its script makes, no more
# Each stream holds a socket (and nginx two): enough for the Procfile's 4,096 connections.
OPEN_FILES = 8192

bp = Blueprint("streams", __name__, url_prefix="/api")
_stopping = threading.Lock()  # held once the SIGTERM hook is in place


def register(app: Flask) -> None:
    """Tell the templates whether push is on, so pages open streams or poll."""
    app.context_processor(lambda: {"push": backend().hub is not None})
    built = app.extensions.get("tictactoe")  # (a bare app, for its URL map, has none)
    if built is not None and built.hub is not None:
        _allow_open_files(OPEN_FILES)
    if built is not None:  # once a minute, to CloudWatch (tictactoe/adapters/metrics.py)
        hub = built.hub
        metrics.gauge(metrics.OPEN_STREAMS, hub.count if hub else None)
        metrics.gauge(metrics.BUS_DOWN, (lambda: int(hub.bus_down())) if hub else None)


def _allow_open_files(wanted: int) -> None:
    """Raise this process's soft limit on open files towards `wanted` (as far as the hard
    limit allows): a service's default soft limit, 1024, would cap it near 1,000 streams."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@bp.get("/games/<game_id:game_id>/events")
@auth.signed_in
def game_events(game_id: str) -> ResponseReturnValue:
    hub = _hub()
    # Open first, then read: `open` returns once the bus confirmed this process listens to
    # the game's topic, so a change landing in between is delivered, not missed; and a
    # refused stream (503, 429) costs no read.
    stream = hub.open(auth.player(), _epoch(), game_id, _tab())
    try:
        game = games.game(backend().games, game_id)
    except Exception:  # 404 and the rest: the error handler answers; nothing stays open
        hub.close(stream)
        raise
    # A notice that landed between the two may have queued this version (or a newer one)
    # already: then that event is the stream's first, and the read is not sent twice.
    return _respond(hub, stream, game if stream.fresh(game) else None, Told(game))


@bp.get("/me/events")
@auth.signed_in
def my_events() -> ResponseReturnValue:
    hub = _hub()
    return _respond(hub, hub.open(auth.player(), _epoch(), None, _tab()), None)


def _hub() -> Hub:
    hub = backend().hub
    if hub is None:
        raise Down("Live updates are off on this server; the page polls.", 30)
    _stop_on_sigterm(hub)
    return hub


def _tab() -> str | None:
    """The page's tab id (?tab=), if it named one; Invalid (400) if it is not one."""
    tab = request.args.get("tab")
    if tab is not None and not TAB.fullmatch(tab):
        raise Invalid("tab must be 8 to 64 letters, digits, '-' or '_'.")
    return tab


def _epoch() -> int:
    claims = auth.holder()
    return claims.epoch if claims else 0


def _respond(hub: Hub, stream: Stream, first: Game | None, told: Told | None = None) -> Response:
    claims = auth.holder()
    users = backend().users

    def still_signed_in() -> bool:
        return claims is not None and accounts.check(users, claims) is not None

    # The connection's socket (gunicorn's; none under a test client), looked at by a game's
    # stream between events: nginx closes it as soon as the browser leaves.
    peer = request.environ.get("gunicorn.socket") if stream.game_id else None
    events = _events(hub, stream, first, still_signed_in, told or Told(), peer)
    body = stream_with_context(events)
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    # A body that is never read (HEAD, or a client gone before the first chunk) never starts
    # _events, so its `finally` would not run: closing the response forgets the stream too.
    response.call_on_close(lambda: hub.close(stream))
    return response


def _events(
    hub: Hub,
    stream: Stream,
    first: Game | None,
    still_signed_in: Callable[[], bool],
    told: Told,
    peer: Any = None,
) -> Iterator[str]:
    checked = beat = looked = time.monotonic()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        if first:
            yield told.game_event(first)
        elif stream.game_id is None:
            yield ": connected\n\n"
        # (else a game's stream whose first state the hub has queued already: it comes next)
        while True:
            # Wake for the next heartbeat, or sooner to look whether the page hung up.
            wait = HEARTBEAT - (time.monotonic() - beat)
            item = stream.next(max(0.0, min(wait, HANG_UP_CHECK) if peer else wait))
            if peer is not None and time.monotonic() - looked >= HANG_UP_CHECK:
                looked = time.monotonic()
                if hung_up(peer):
                    return
            if isinstance(item, Closed):
                if item.event:  # what the page should do now: poll (down), or nothing
                    yield f"event: {item.event}\ndata: {json.dumps({'reason': item.reason})}\n\n"
                yield f": closed, {item.reason}\n\n"
                return
            if isinstance(item, Attended):  # (mostly unchanged: then nothing is sent)
                for told_now in told.presence_events(item.here):
                    beat = time.monotonic()
                    yield told_now
            elif isinstance(item, Event):
                beat = time.monotonic()
                yield told.game_event(item.game) if item.game else _gone_event(item.game_id)
                if item.game is None and stream.game_id:
                    return  # the game of this stream is gone: nothing more will come
            if time.monotonic() - beat < HEARTBEAT:
                continue
            if time.monotonic() - checked >= RECHECK_SECONDS:
                if not still_signed_in():
                    return
                checked = time.monotonic()
            beat = time.monotonic()
            yield ": keep-alive\n\n"
    finally:
        hub.close(stream)


def _gone_event(game_id: str) -> str:
    return f"event: gone\ndata: {json.dumps({'id': game_id})}\n\n"


def _stop_on_sigterm(hub: Hub) -> None:
    """End every stream when this process is told to stop, then let gunicorn do its part.

    Only where requests run on the process's main thread (gevent's greenlets do): Python
    sets signal handlers from there alone. Elsewhere gunicorn's graceful timeout ends them."""
    if not _stopping.acquire(blocking=False):
        return
    previous = signal.getsignal(signal.SIGTERM)

    def stop(signum: int, frame: Any) -> None:
        _soon(lambda: hub.close_all("the server is stopping"))
        if callable(previous):
            previous(signum, frame)

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (gthread workers, tests): leave it to gunicorn
        _stopping.release()


def _soon(work: Callable[[], None]) -> None:
    """Run `work` outside the signal handler, which must not block."""
    if "gevent" in sys.modules:
        import gevent  # the stream process's workers; never imported otherwise

        gevent.spawn(work)
    else:
        threading.Thread(target=work, daemon=True).start()
