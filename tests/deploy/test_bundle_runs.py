"""The bundle runs as Elastic Beanstalk would run it, with local stand-ins for AWS.

Build the zip with scripts/bundle.py, unzip it into an empty folder, make a fresh virtualenv,
install only the bundle's requirements.txt, and start both of the Procfile's processes (`web:`
and `stream:`) from the unzipped folder with the environment properties that .ebextensions
sets. A missing file, dependency or setting fails here.

Substitutions, and only these: beanstalk.toml in the unzipped copy gains `endpoint` keys for a
DynamoDB Local and moto's S3 server (instead of AWS); TICTACTOE_PUSH_URL, which .ebextensions
builds from the ElastiCache cache's endpoint (resolved by CloudFormation on AWS), names a
redis-server the test starts instead; and each Procfile `--bind` (`:8000` for web,
`127.0.0.1:8001` for stream) becomes a free loopback port (those may be taken). Everything
else, the generated secret key included, is what the zip holds.

In front, nginx is configured from the bundle as the platform configures it
(devstack/platform_nginx.py): the bundle's .platform/nginx/nginx.conf, its conf.d/*.conf in the
http block and its conf.d/elasticbeanstalk/*.conf in the server block, beside what the platform
generates there: the default proxy to the web process, the /static alias (the Python
platform's default, /static to a top-level static/, unless .ebextensions maps it elsewhere)
and the health log. The players talk to it: one uploads a picture over nginx's default 1 MB
body limit, one follows a game's event stream while the other moves, and the static files
must come from nginx, from tictactoe/static, with the headers Flask used to send.

A second bundle is built with --certificate-arn: the load balancer would end TLS and add
X-Forwarded-Proto, which the platform's nginx passes through; here the test adds it itself.
Both bundles share one virtualenv, made from the first bundle's requirements.txt (the same file
in both).
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from PIL import Image

from devstack import dynamodb_local, moto_server, platform_nginx, processes, redis_server
from tests.adapters.test_metrics import check_emf
from tests.support import ROOT
from tests.support.players import ApiPlayer

pytestmark = pytest.mark.stack


class HttpClient:
    """Just enough of Flask's test client on top of requests, so ApiPlayer drives real HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def open(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        response = self.session.request(method, self.base + path, timeout=15, **kwargs)
        response.get_json = response.json  # type: ignore[attr-defined]
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.open(path, "GET", **kwargs)


def procfile_command(app_dir: Path, name: str) -> list[str]:
    """Return the Procfile's `name:` command as arguments."""
    lines = (app_dir / "Procfile").read_text().splitlines()
    (command,) = [line.split(":", 1)[1] for line in lines if line.startswith(f"{name}:")]
    return shlex.split(command)


def environment_properties(app_dir: Path) -> dict[str, str]:
    """Return the environment properties every .ebextensions/*.config sets, in file order."""
    found: dict[str, str] = {}
    for path in sorted((app_dir / ".ebextensions").glob("*.config")):
        options = yaml.safe_load(path.read_text()).get("option_settings", {})
        found |= {
            k: str(v)
            for k, v in options.get("aws:elasticbeanstalk:application:environment", {}).items()
        }
    return found


# Where the platform's nginx sends each process's requests (devstack/platform_nginx.py).
BINDS = {"web": ":8000", "stream": platform_nginx.STREAM}


def rebind(args: list[str], name: str, address: str) -> list[str]:
    """Replace the value of --bind (what the platform's nginx expects) with `address`."""
    index = args.index("--bind")
    assert args[index + 1] == BINDS[name], f"the platform's proxy forwards {name} to {BINDS[name]}"
    return [*args[: index + 1], address, *args[index + 2 :]]


def point_at_local(config: Path, dynamodb_url: str, s3_url: str) -> None:
    """Add endpoint keys to the bundled beanstalk.toml, right under their table headers."""
    text = config.read_text()
    for section, url in (("dynamodb", dynamodb_url), ("s3", s3_url)):
        text, count = re.subn(
            rf"^\[{section}\][^\n]*$",
            rf'\g<0>\nendpoint = "{url}"',
            text,
            count=1,
            flags=re.MULTILINE,
        )
        assert count == 1, f"beanstalk.toml has no [{section}] table"
    config.write_text(text)


CERTIFICATE = "arn:aws:acm:us-west-2:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef"


def unzip_bundle(home: Path, *args: str) -> Path:
    """Build the bundle as an operator does and unzip it into an empty folder."""
    zip_path = home / "app.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bundle.py"), "--output", str(zip_path), *args],
        check=True,
        capture_output=True,
    )
    app_dir = home / "current"
    app_dir.mkdir()
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(app_dir)
    return app_dir


@pytest.fixture(params=[()], ids=["plain"])
def unpacked(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The bundle, unzipped; bundle.py's arguments come from the test's parameter."""
    return unzip_bundle(tmp_path, *request.param)


@pytest.fixture(scope="module")
def bundle_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the bundle's requirements.txt installed; its bin folder."""
    requirements = unzip_bundle(tmp_path_factory.mktemp("bundle")) / "requirements.txt"
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    subprocess.run(
        [
            str(home / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
        ],
        check=True,
    )
    return home / "bin"


@dataclass(frozen=True)
class Stack:
    base: str  # nginx, where the players connect
    web_log: Path  # each process's output: its JSON request lines and gunicorn's messages
    stream_log: Path


@pytest.fixture
def server(tmp_path: Path, unpacked: Path, bundle_venv: Path) -> Iterator[Stack]:
    """Start DynamoDB Local, moto's S3, redis, the Procfile's processes and nginx in front."""
    started: list[subprocess.Popen[bytes]] = []
    logs = {name: tmp_path / f"{name}.log" for name in ("web", "stream")}
    try:
        dynamodb_port, s3_port, redis_port = (processes.free_port() for _ in range(3))
        started.append(dynamodb_local.start(dynamodb_port, tmp_path / "db", tmp_path / "db.log"))
        started.append(moto_server.start(s3_port, tmp_path / "s3.log"))
        started.append(redis_server.start(redis_port, tmp_path / "redis.log"))
        point_at_local(
            unpacked / "beanstalk.toml",
            f"http://127.0.0.1:{dynamodb_port}",
            f"http://127.0.0.1:{s3_port}",
        )
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        properties = environment_properties(unpacked)
        # On AWS a CloudFormation function, resolved to the cache's endpoint when the stack is
        # made (tests/deploy/test_push_resources.py checks what it builds).
        assert properties["TICTACTOE_PUSH_URL"].startswith("`{"), properties
        env |= properties | {"TICTACTOE_PUSH_URL": redis_server.url(redis_port)}
        # On AWS the folder is made by 06-alarms.config and the name is the environment's.
        env |= {
            "TICTACTOE_METRICS_FILE": str(tmp_path / "metrics.log"),
            "TICTACTOE_METRICS_ENVIRONMENT": "Tictactoe-env",
        }
        env["PATH"] = f"{bundle_venv}{os.pathsep}{env.get('PATH', '')}"
        ports = {name: processes.free_port() for name in logs}
        for name, log in logs.items():
            args = rebind(procfile_command(unpacked, name), name, f"127.0.0.1:{ports[name]}")
            # Not processes.start: it merges os.environ back, and PYTHONPATH must stay unset.
            with log.open("ab") as out:
                started.append(
                    subprocess.Popen(
                        args,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        env=env,
                        cwd=unpacked,
                        start_new_session=True,
                    )
                )
            try:
                processes.wait_for_port(ports[name], started[-1], timeout=60)
            except (RuntimeError, TimeoutError) as err:  # say why: the process's own words
                raise AssertionError(f"{name}: {err}\n{log.read_text()[-3000:]}") from None
        home, proxy_port = tmp_path / "nginx", processes.free_port()
        conf = platform_nginx.write(
            unpacked, home, proxy_port, f"127.0.0.1:{ports['web']}", f"127.0.0.1:{ports['stream']}"
        )
        started.append(platform_nginx.start(conf, home))
        processes.wait_for_port(proxy_port, started[-1], timeout=10)
        yield Stack(f"http://127.0.0.1:{proxy_port}", logs["web"], logs["stream"])
    finally:
        for proc in reversed(started):
            processes.stop(proc)


def wait_healthy(base: str, timeout: float = 90) -> None:
    """Wait for /health: the first start-up creates the tables and the bucket first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(base + "/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # the workers are still starting up
        assert time.monotonic() < deadline, "/health never answered 200"
        time.sleep(1)


def sse_events(response: requests.Response, deadline: float) -> Iterator[tuple[str, str]]:
    """Yield (event name, data) for each event of a text/event-stream, until `deadline`."""
    name, data = "message", []
    for line in response.iter_lines(chunk_size=None, decode_unicode=True):
        assert time.monotonic() < deadline, "the event never came"
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").strip())


def request_lines(log: Path) -> list[dict[str, Any]]:
    """The app's request log lines (JSON on stdout; gunicorn's own lines are plain text)."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [r for r in lines if r["logger"] == "tictactoe.requests"]


def test_the_unzipped_bundle_serves_a_whole_game(unpacked: Path, server: Stack) -> None:
    base = server.base
    assert environment_properties(unpacked)["CONFIG_FILE"] == "beanstalk.toml"
    wait_healthy(base)

    alice = ApiPlayer(HttpClient(base), "alice").register()
    bob = ApiPlayer(HttpClient(base), "bob").register()
    game = alice.invite(bob)
    game = bob.accept(game)
    by_name = {alice.name: alice, bob.name: bob}
    # The player who moves second follows the game's event stream, through nginx to the
    # stream process; the first move must reach it.
    watcher = by_name[game["o_player"]]
    stream = watcher.client.session.get(
        f"{base}/api/games/{game['id']}/events", stream=True, timeout=(5, 30)
    )
    assert stream.status_code == 200, stream.text
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    # Who has the game open (event: presence) comes and goes as the pages do; this test
    # follows the game alone.
    events = (e for e in sse_events(stream, time.monotonic() + 60) if e[0] != "presence")
    first = next(events)  # the game as it is when the stream opens
    assert first[0] == "game" and json.loads(first[1])["board"] == [""] * 9
    cells = {game["x_player"]: iter([0, 1, 2]), game["o_player"]: iter([3, 4])}
    watching = True
    while game["status"] != "FINISHED":
        mover = game["turn"]
        response = by_name[mover].move(game, next(cells[mover]))
        assert response.status_code == 200, response.text
        game = response.json()
        if watching and mover != watcher.name:
            name, data = next(events)  # the other player's move, pushed
            assert name == "game" and json.loads(data)["board"][0] == "X"
            stream.close()
            watching = False

    seen = alice.call("GET", f"/api/games/{game['id']}").json()
    assert seen["winner"] == game["x_player"] == bob.name
    assert seen["board"][:3] == ["X", "X", "X"]
    home = bob.call("GET", "/api/games").json()
    assert [g["id"] for g in home["finished"]] == [game["id"]]
    # A picture of over 1 MB: the platform's nginx would refuse it without .platform/.
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    upload = io.BytesIO()
    noise.save(upload, "PNG")
    assert upload.tell() > 1024 * 1024
    files = {"image": ("me.png", upload.getvalue(), "image/png")}
    response = alice.call("PUT", "/api/me/avatar", None, files=files)
    assert response.status_code == 201, response.text
    avatar = alice.client.get(response.json()["avatar_url"])
    assert avatar.status_code == 200 and avatar.headers["Content-Type"] == "image/webp"
    assert alice.call("GET", "/api/me").json()["avatar_url"] == response.json()["avatar_url"]

    page = bob.client.get("/")  # templates and static files came along too
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert bob.client.get("/static/style.css").status_code == 200
    # The app's request log goes to stdout, a JSON object a line (gunicorn's access log is off;
    # its own messages are plain text on stderr, in the same file here).
    web = request_lines(server.web_log)
    assert any(r["route"] == "/health" and r["request_id"] for r in web)
    # nginx sent the stream to the stream process, and nothing else there.
    routes = {"/api/games/<game_id:game_id>/events", "/api/games/<game_id>/events"}
    assert not [r for r in web if r["route"] in routes]
    deadline = time.monotonic() + 15  # the stream's line is written when it ends
    while not [r for r in request_lines(server.stream_log) if r["route"] in routes]:
        assert time.monotonic() < deadline, server.stream_log.read_text()[-2000:]
        time.sleep(0.2)
    assert {r["route"] for r in request_lines(server.stream_log)} <= routes
    # Both processes wrote their CloudWatch metrics (EMF) to the one file the agent ships.
    metrics = [
        check_emf(line) for line in (server.web_log.parent / "metrics.log").read_text().splitlines()
    ]
    assert sum(m.get("Moves", 0) for m in metrics) == 5
    assert sum(m.get("GamesStarted", 0) for m in metrics) == 1
    assert sum(m.get("GamesFinished", 0) for m in metrics) == 1
    assert {m.get("Route") for m in metrics} >= {"/health", "/api/games/<game_id>/events"}


def test_static_files_come_from_nginx_with_the_headers_flask_sent(
    unpacked: Path, server: Stack
) -> None:
    wait_healthy(server.base)
    folder = unpacked / "tictactoe" / "static"
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert "style.css" in names and any(n.endswith(".js") for n in names)
    for name in names:
        response = requests.get(f"{server.base}/static/{name}", timeout=15)
        assert response.status_code == 200, name
        assert response.content == (folder / name).read_bytes(), name
        # Flask sent these for its static files: revalidate each time, a 304 when unchanged.
        assert response.headers["Cache-Control"] == "no-cache", name
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        kinds = (
            {"text/css"} if name.endswith(".css") else {"application/javascript", "text/javascript"}
        )
        kind, _, charset = response.headers["Content-Type"].partition("; ")
        assert kind in kinds and charset == "charset=utf-8", (name, response.headers)
        assert response.headers["Last-Modified"] and "Content-Disposition" not in response.headers
        again = requests.get(
            f"{server.base}/static/{name}",
            timeout=15,
            headers={"If-None-Match": response.headers["ETag"]},
        )
        assert again.status_code == 304 and again.headers["Cache-Control"] == "no-cache"
    assert requests.get(f"{server.base}/static/nope.css", timeout=15).status_code == 404
    # Served by nginx alone: the app never saw them. Its own answers keep their own headers.
    assert not [r for r in request_lines(server.web_log) if r["route"].startswith("/static")]
    # (requests joins repeated headers with ", ": these are the app's, once.)
    health = requests.get(f"{server.base}/health", timeout=15)
    assert health.headers["Cache-Control"] == "no-store"
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert health.headers["Content-Type"] == "application/json"  # no charset added by nginx


@pytest.mark.parametrize(
    "unpacked", [("--certificate-arn", CERTIFICATE)], ids=["https"], indirect=True
)
def test_the_https_bundle_redirects_plain_http_but_not_the_health_check(server: Stack) -> None:
    base = server.base
    wait_healthy(base)  # /health over plain HTTP (no X-Forwarded-Proto at all): a 200
    http, https = {"X-Forwarded-Proto": "http"}, {"X-Forwarded-Proto": "https"}
    health = requests.get(base + "/health", headers=http, allow_redirects=False, timeout=15)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    for method, path in (("GET", "/"), ("GET", "/games/abcdefgh123?tab=1"), ("POST", "/api/login")):
        response = requests.request(
            method, base + path, headers=http, allow_redirects=False, timeout=15
        )
        assert response.status_code == 301, (method, path)
        # nginx passes Host without the port ($host), as it does behind the load balancer.
        assert response.headers["Location"] == "https://127.0.0.1" + path
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"

    # Over HTTPS a player signs up; the session cookie is Secure (so requests would not send it
    # back to this http:// URL on its own: the test carries it).
    csrf = requests.get(base + "/api/csrf", headers=https, timeout=15)
    assert csrf.status_code == 200 and "Strict-Transport-Security" in csrf.headers
    cookie = {"Cookie": f"session={csrf.cookies['session']}"}
    signed = {
        **https,
        **cookie,
        "X-CSRFToken": csrf.json()["csrf_token"],
        "Referer": "https://127.0.0.1/",
    }
    body = {"username": "carol", "password": "correct horse battery"}
    response = requests.post(base + "/api/register", json=body, headers=signed, timeout=15)
    assert response.status_code == 201, response.text
    assert (
        "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    )
    me = requests.get(
        base + "/api/me",
        timeout=15,
        headers={**https, "Cookie": f"session={response.cookies['session']}"},
    )
    assert me.status_code == 200 and me.json()["username"] == "carol"
