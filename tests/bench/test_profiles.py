"""The profiles' bookkeeping: py-spy's raw lines read, each sample put with its request and
its group, and the request names the bench's gunicorn config gives."""

from __future__ import annotations

import pytest

from bench.suites.compare.profiles import OUTSIDE, group, read, request_of, summarise
from devstack.hooks import Marked, kind_of

ROOTS = (
    'process 1:"gunicorn";process 2:"gunicorn";ThreadWorker.handle (gunicorn/workers/gthread.py:5)'
)


def line(*frames: str, count: int = 3) -> str:
    return ";".join([ROOTS, *frames]) + f" {count}"


MOVE = line(
    "request_move (devstack/hooks.py:61)",
    "Flask.wsgi_app (flask/app.py:1511)",
    "move (tictactoe/web/api.py:120)",
    "Games.move (tictactoe/store/games.py:229)",
    "BaseClient._make_api_call (botocore/client.py:1061)",
    "SigV4Auth.add_auth (botocore/auth.py:420)",
    "new (hmac.py:184)",
)


def test_a_raw_line_becomes_its_frames_and_count() -> None:
    ((stack, count),) = read(MOVE)
    assert count == 3
    assert stack[0] == ("ThreadWorker.handle", "gunicorn/workers/gthread.py")
    assert stack[-1] == ("new", "hmac.py")


@pytest.mark.parametrize(
    ("frames", "served", "part"),
    [
        (MOVE, "move", "botocore: sign"),
        (
            line(
                "request_game_page (devstack/hooks.py:61)",
                "game (tictactoe/web/pages.py:90)",
                "Template.render (jinja2/environment.py:1301)",
                "escape (markupsafe/__init__.py:40)",
            ),
            "game_page",
            "Jinja (templates)",
        ),
        (
            line(
                "request_home (devstack/hooks.py:61)",
                "csrf_protect (tictactoe/web/layers/csrf.py:40)",
                "Signer.sign (itsdangerous/signer.py:200)",
                "new (hmac.py:184)",
            ),
            "home",
            "CSRF",
        ),
        (
            line("request_stream (devstack/hooks.py:61)", "Flask.wsgi_app (flask/app.py:1511)"),
            "stream (opened)",
            "Flask and werkzeug",
        ),
        (
            line(
                "events_stream (devstack/hooks.py:70)",
                "_events (tictactoe/web/streams.py:128)",
                "dumps (json/__init__.py:238)",
            ),
            "stream event (sent)",
            "JSON",
        ),
        (
            line(
                "Bus._subscribe (tictactoe/adapters/bus.py:100)",
                "Hub._on_notice (tictactoe/services/hub.py:150)",
            ),
            "stream event (hub)",
            "push (redis, hub)",
        ),
        (line("Request.parse (gunicorn/http/message.py:80)"), OUTSIDE, "server (gunicorn, gevent)"),
    ],
)
def test_each_sample_goes_to_its_request_and_one_group(frames: str, served: str, part: str) -> None:
    ((stack, _),) = read(frames)
    assert request_of(stack) == served
    assert group(stack) == part


def test_a_summary_gives_shares_and_ms_per_request() -> None:
    other = line("request_move (devstack/hooks.py:61)", "Flask.wsgi_app (flask/app.py:1)", count=1)
    stacks = read("\n".join([MOVE, other]))
    move = summarise(stacks, {"requests": {"move": 2}, "moves_sent": 2})["requests"]["move"]
    assert move["samples"] == 4
    assert move["groups"] == {"botocore: sign": 0.75, "Flask and werkzeug": 0.25}
    assert move["ms_per"] == pytest.approx(1000 * 4 / 200 / 2)


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/api/games/abc/moves", "move"),
        ("GET", "/api/games/abc/events", "stream"),
        ("GET", "/api/me/events", "stream"),
        ("GET", "/api/games/abc", "poll"),
        ("GET", "/", "home"),
        ("POST", "/games", "invite"),
        ("POST", "/games/abc/accept", "accept"),
        ("GET", "/games/abc", "game_page"),
        ("GET", "/static/style.css", "other"),
    ],
)
def test_requests_are_named_by_method_and_path(method: str, path: str, kind: str) -> None:
    assert kind_of(method, path) == kind


def test_the_marked_app_serves_the_same_answer_and_closes_a_stream_never_started() -> None:
    closed = []

    class Body(list):  # type: ignore[type-arg]
        def close(self) -> None:
            closed.append(True)

    def app(environ: dict, start_response: object) -> Body:  # type: ignore[type-arg]
        return Body([b"data: 1\n\n"])

    marked = Marked(app)
    assert marked({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, None) == [b"data: 1\n\n"]
    stream = marked({"REQUEST_METHOD": "GET", "PATH_INFO": "/api/me/events"}, None)
    assert list(stream) == [b"data: 1\n\n"]
    marked({"REQUEST_METHOD": "GET", "PATH_INFO": "/api/me/events"}, None).close()
    assert closed == [True]
