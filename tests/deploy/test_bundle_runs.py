"""The bundle runs as Elastic Beanstalk would run it, with local stand-ins for AWS.

Build the zip with scripts/bundle.py, unzip it into an empty folder, make a fresh virtualenv,
install only the bundle's requirements.txt, and start the Procfile's `web:` command from the
unzipped folder with the environment properties that .ebextensions sets. A missing file,
dependency or setting fails here.

Two substitutions, and only these: beanstalk.toml in the unzipped copy gains `endpoint` keys
for a DynamoDB Local and moto's S3 server (instead of AWS), and the Procfile's `--bind :8000`
becomes `--bind 127.0.0.1:<free port>` (8000 may be taken). Everything else, the generated
secret key included, is what the zip holds. In front, as on the platform, an nginx with
nginx's default body limit includes the bundle's .platform/nginx/conf.d/*.conf in its http
block and proxies to gunicorn; the players talk to it, and one uploads a picture over 1 MB.

A second bundle is built with --certificate-arn: the load balancer would end TLS and add
X-Forwarded-Proto, which the platform's nginx passes through; here the test adds it itself.
Both bundles share one virtualenv, made from the first bundle's requirements.txt (the same file
in both).
"""

from __future__ import annotations

import getpass
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
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from PIL import Image

from devstack import dynamodb_local, moto_server, processes
from tests.support.players import ApiPlayer

ROOT = Path(__file__).resolve().parent.parent
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


def web_command(app_dir: Path) -> list[str]:
    """Return the Procfile's web: command as arguments."""
    lines = (app_dir / "Procfile").read_text().splitlines()
    (command,) = [line.split(":", 1)[1] for line in lines if line.startswith("web:")]
    return shlex.split(command)


def environment_properties(app_dir: Path) -> dict[str, str]:
    """Return the environment properties every .ebextensions/*.config sets, in file order."""
    found: dict[str, str] = {}
    for path in sorted((app_dir / ".ebextensions").glob("*.config")):
        options = yaml.safe_load(path.read_text()).get("option_settings", {})
        found |= {k: str(v) for k, v in options.get(
            "aws:elasticbeanstalk:application:environment", {}).items()}  # fmt: skip
    return found


def rebind(args: list[str], address: str) -> list[str]:
    """Replace the value of --bind (the Procfile says :8000) with `address`."""
    index = args.index("--bind")
    assert args[index + 1] == ":8000", "the platform's proxy forwards to :8000"
    return [*args[: index + 1], address, *args[index + 2 :]]


def point_at_local(config: Path, dynamodb_url: str, s3_url: str) -> None:
    """Add endpoint keys to the bundled beanstalk.toml, right under their table headers."""
    text = config.read_text()
    for section, url in (("dynamodb", dynamodb_url), ("s3", s3_url)):
        text, count = re.subn(rf"^\[{section}\][^\n]*$", rf'\g<0>\nendpoint = "{url}"', text,
                              count=1, flags=re.MULTILINE)  # fmt: skip
        assert count == 1, f"beanstalk.toml has no [{section}] table"
    config.write_text(text)


def nginx_conf(home: Path, port: int, app_dir: Path, upstream: str) -> str:
    """The platform's proxy in miniature: nginx defaults, plus the bundle's conf.d files."""
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""  # not "nobody"
    temps = "".join(f"  {kind}_temp_path {home}/{kind}_temp;\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    return f"""{user}worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log {home}/access.log;
{temps}  include {app_dir}/.platform/nginx/conf.d/*.conf;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://{upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"""


CERTIFICATE = "arn:aws:acm:us-west-2:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef"


def unzip_bundle(home: Path, *args: str) -> Path:
    """Build the bundle as an operator does and unzip it into an empty folder."""
    zip_path = home / "app.zip"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "bundle.py"), "--output",
                    str(zip_path), *args], check=True, capture_output=True)  # fmt: skip
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
    subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-r", str(requirements)],
                   check=True)  # fmt: skip
    return home / "bin"


@pytest.fixture
def server(tmp_path: Path, unpacked: Path, bundle_venv: Path) -> Iterator[tuple[str, Path]]:
    """Start DynamoDB Local, moto's S3 and the bundle's web: command; yield URL and log."""
    started: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "web.log"
    try:
        dynamodb_port, s3_port, web_port = (processes.free_port() for _ in range(3))
        started.append(dynamodb_local.start(dynamodb_port, tmp_path / "db", tmp_path / "db.log"))
        started.append(moto_server.start(s3_port, tmp_path / "s3.log"))
        point_at_local(unpacked / "beanstalk.toml", f"http://127.0.0.1:{dynamodb_port}",
                       f"http://127.0.0.1:{s3_port}")  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env |= environment_properties(unpacked)
        env["PATH"] = f"{bundle_venv}{os.pathsep}{env.get('PATH', '')}"
        args = rebind(web_command(unpacked), f"127.0.0.1:{web_port}")
        # Not processes.start: it merges os.environ back, and PYTHONPATH must stay unset.
        with log.open("ab") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    cwd=unpacked, start_new_session=True)  # fmt: skip
        started.append(proc)
        processes.wait_for_port(web_port, proc, timeout=60)
        home, proxy_port = tmp_path / "nginx", processes.free_port()
        home.mkdir()
        (home / "nginx.conf").write_text(
            nginx_conf(home, proxy_port, unpacked, f"127.0.0.1:{web_port}")
        )
        started.append(processes.start(
            ["nginx", "-p", str(home), "-e", str(home / "error.log"), "-c",
             str(home / "nginx.conf"), "-g", "daemon off;"], log=home / "stdout.log"))  # fmt: skip
        processes.wait_for_port(proxy_port, started[-1], timeout=10)
        yield f"http://127.0.0.1:{proxy_port}", log
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


def test_the_unzipped_bundle_serves_a_whole_game(unpacked: Path, server: tuple[str, Path]) -> None:
    base, log = server
    assert environment_properties(unpacked)["CONFIG_FILE"] == "beanstalk.toml"
    wait_healthy(base)

    alice = ApiPlayer(HttpClient(base), "alice").register()
    bob = ApiPlayer(HttpClient(base), "bob").register()
    game = alice.invite(bob)
    game = bob.accept(game)
    by_name = {alice.name: alice, bob.name: bob}
    cells = {game["x_player"]: iter([0, 1, 2]), game["o_player"]: iter([3, 4])}
    while game["status"] != "FINISHED":
        mover = game["turn"]
        response = by_name[mover].move(game, next(cells[mover]))
        assert response.status_code == 200, response.text
        game = response.json()

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
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(r["route"] == "/health" and r["request_id"] for r in lines
               if r["logger"] == "tictactoe.requests")  # fmt: skip


@pytest.mark.parametrize("unpacked", [("--certificate-arn", CERTIFICATE)], ids=["https"],
                         indirect=True)  # fmt: skip
def test_the_https_bundle_redirects_plain_http_but_not_the_health_check(
    server: tuple[str, Path],
) -> None:
    base, _ = server
    wait_healthy(base)  # /health over plain HTTP (no X-Forwarded-Proto at all): a 200
    http, https = {"X-Forwarded-Proto": "http"}, {"X-Forwarded-Proto": "https"}
    health = requests.get(base + "/health", headers=http, allow_redirects=False, timeout=15)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    for method, path in (("GET", "/"), ("GET", "/games/abcdefgh123?tab=1"), ("POST", "/api/login")):
        response = requests.request(method, base + path, headers=http, allow_redirects=False,
                                    timeout=15)  # fmt: skip
        assert response.status_code == 301, (method, path)
        # nginx passes Host without the port ($host), as it does behind the load balancer.
        assert response.headers["Location"] == "https://127.0.0.1" + path
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"

    # Over HTTPS a player signs up; the session cookie is Secure (so requests would not send it
    # back to this http:// URL on its own: the test carries it).
    csrf = requests.get(base + "/api/csrf", headers=https, timeout=15)
    assert csrf.status_code == 200 and "Strict-Transport-Security" in csrf.headers
    cookie = {"Cookie": f"session={csrf.cookies['session']}"}
    signed = {**https, **cookie, "X-CSRFToken": csrf.json()["csrf_token"],
              "Referer": "https://127.0.0.1/"}  # fmt: skip
    body = {"username": "carol", "password": "correct horse battery"}
    response = requests.post(base + "/api/register", json=body, headers=signed, timeout=15)
    assert response.status_code == 201, response.text
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers[
        "Set-Cookie"]  # fmt: skip
    me = requests.get(base + "/api/me", timeout=15, headers={
        **https, "Cookie": f"session={response.cookies['session']}"})  # fmt: skip
    assert me.status_code == 200 and me.json()["username"] == "carol"
