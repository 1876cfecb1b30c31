"""The bundle's .platform/nginx files, read offline: enough connections for the streams, the
stream paths routed to the stream process and nothing else, and the layout nginx -t accepts
as the platform would lay it out (devstack/platform_nginx.py). tests/deploy/test_bundle_runs.py
then runs it with the bundle's processes behind it."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack import platform_nginx
from tests.support import ROOT

NGINX = ROOT / ".platform" / "nginx"
STREAMS = NGINX / "conf.d" / "elasticbeanstalk" / "streams.conf"
# Each instance must hold this many open streams; each holds two of nginx's connections.
STREAMS_PER_INSTANCE = 2000


def directive(text: str, name: str) -> str:
    (value,) = re.findall(rf"^\s*{name}\s+([^;]+);", text, flags=re.MULTILINE)
    return value.strip()


def procfile(name: str) -> list[str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    (command,) = [line.split(":", 1)[1] for line in lines if line.startswith(f"{name}:")]
    return shlex.split(command)


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_nginx_holds_the_streams_an_instance_must() -> None:
    text = (NGINX / "nginx.conf").read_text()
    connections = int(directive(text, "worker_connections"))
    # A stream is two connections (the player's, the one to the stream process); one worker
    # may end up with all of them, and the stream process takes as many as it can hold.
    stream_process = int(option(procfile("stream"), "--worker-connections"))
    assert connections >= 2 * max(STREAMS_PER_INSTANCE, stream_process)
    assert int(directive(text, "worker_rlimit_nofile")) >= 2 * connections


def test_nginx_conf_keeps_what_the_platform_needs_and_adds_no_location() -> None:
    text = (NGINX / "nginx.conf").read_text()
    http = text[text.index("http {") :]
    server = http[http.index("server {") :]
    assert re.search(r"^\s*include\s+conf\.d/\*\.conf;", http[: http.index("server {")], re.M)
    assert re.search(r"^\s*include\s+conf\.d/elasticbeanstalk/\*\.conf;", server, re.M)
    assert re.search(r"^\s*listen\s+80 default_server;", server, re.M)
    assert "map $http_upgrade $connection_upgrade" in http  # the platform's location uses it
    assert "access_log    /var/log/nginx/access.log main;" in server
    # The platform writes these itself; a second one would stop nginx.
    assert not re.search(r"^\s*location\s", text, re.M)
    assert "log_format healthd" not in text and "log_format  main" in text


def test_the_stream_location_goes_to_the_stream_process_unbuffered() -> None:
    text = STREAMS.read_text()
    assert directive(text, "proxy_pass") == f"http://{option(procfile('stream'), '--bind')}"
    assert directive(text, "proxy_http_version") == "1.1"
    assert directive(text, "proxy_buffering") == "off"
    assert re.search(r'proxy_set_header\s+Connection\s+"";', text)
    for header, value in (
        ("Host", "$host"),
        ("X-Real-IP", "$remote_addr"),
        ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
    ):
        assert re.search(rf"proxy_set_header\s+{header}\s+{re.escape(value)};", text), header


def test_the_stream_location_matches_the_stream_routes_and_no_other(app: Any) -> None:
    (pattern,) = re.findall(r"^location ~ (\S+) \{", STREAMS.read_text(), flags=re.MULTILINE)
    stream, other = [], []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "abcdefgh1234", rule.rule)
        (stream if rule.endpoint.startswith("streams.") else other).append(path)
    assert sorted(stream) == ["/api/games/abcdefgh1234/events", "/api/me/events"]
    assert all(re.fullmatch(pattern, path) for path in stream)
    assert not [path for path in other if re.search(pattern, path)]
    assert not re.search(pattern, "/api/games/a/b/events") and not re.search(pattern, "/api/me")


@pytest.mark.parametrize("with_ours", [True, False], ids=["bundle", "platform-default"])
def test_nginx_accepts_the_layout_the_platform_makes(tmp_path: Path, with_ours: bool) -> None:
    app_dir = tmp_path / "app"
    (app_dir / ".ebextensions").mkdir(parents=True)
    for path in (ROOT / ".ebextensions").glob("*.config"):
        (app_dir / ".ebextensions" / path.name).write_text(path.read_text())
    if with_ours:
        for path in NGINX.rglob("*.conf"):
            target = app_dir / ".platform" / "nginx" / path.relative_to(NGINX)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    conf = platform_nginx.write(app_dir, tmp_path / "nginx", 8080, "127.0.0.1:1", "127.0.0.1:2")
    static = (conf.parent / "conf.d" / "elasticbeanstalk" / "01_static.conf").read_text()
    assert f"alias {app_dir / 'tictactoe' / 'static'};" in static  # the bundle's mapping
    home = tmp_path / "nginx"
    checked = subprocess.run(
        [
            platform_nginx.executable(),
            "-t",
            "-q",
            "-p",
            str(home),
            "-e",
            str(home / "error.log"),
            "-c",
            str(conf),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert ("worker_connections  8192" in conf.read_text()) is with_ours
