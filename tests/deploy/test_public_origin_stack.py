"""[flask].public_origin through the instance's own path: the platform's nginx, then both
Procfile processes, as on Elastic Beanstalk.

The platform's nginx hands the app the request's host without its port ($host), the stream
paths go to the stream process (.platform/nginx/conf.d/elasticbeanstalk/streams.conf): a
request for another host is refused by either process, the load balancer's health check (the
instance's private address as Host) still gets its 200, and players on the public host are
served. moto's server stands in for DynamoDB and S3; the origin comes from the environment
property TICTACTOE_PUBLIC_ORIGIN, as an operator would set it once the environment exists.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from devstack import moto_server, platform_nginx, processes
from tests.deploy.test_bundle_runs import procfile_command, rebind
from tests.support import ROOT

pytestmark = pytest.mark.stack

PUBLIC = "play.test"


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx as the platform lays it out, in front of web: and stream:; return its URL."""
    home = tmp_path_factory.mktemp("public-origin")
    started: list[subprocess.Popen[bytes]] = []
    try:
        aws = f"http://127.0.0.1:{processes.free_port()}"
        started.append(moto_server.start(int(aws.rsplit(":", 1)[1]), home / "moto.log"))
        config = home / "app.toml"
        config.write_text(
            f'[dynamodb]\nregion = "us-west-2"\nendpoint = "{aws}"\n'
            f'[s3]\nbucket = "origin-test"\nendpoint = "{aws}"\n'
            f'[flask]\nsecret_key = "{secrets.token_urlsafe(32)}"\ntrusted_proxies = 1\n'
        )
        env = {
            "CONFIG_FILE": str(config),
            "TICTACTOE_PUBLIC_ORIGIN": f"http://{PUBLIC}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_CONFIG_FILE": str(home / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        }
        binds = {}
        for name in ("web", "stream"):
            binds[name] = f"127.0.0.1:{processes.free_port()}"
            args = rebind(procfile_command(ROOT, name), name, binds[name])
            proc = processes.start(
                [sys.executable, "-m", *args], log=home / f"{name}.log", env=env, cwd=ROOT
            )
            started.append(proc)
            processes.wait_for_port(int(binds[name].rsplit(":", 1)[1]), proc)
        port = processes.free_port()
        conf = platform_nginx.write(ROOT, home / "nginx", port, binds["web"], binds["stream"])
        nginx = platform_nginx.start(conf, home / "nginx")
        started.append(nginx)
        processes.wait_for_port(port, nginx, timeout=10)
        url = f"http://127.0.0.1:{port}"
        processes.wait_healthy(None, url, "the app behind nginx", timeout=60)
        yield url
    finally:
        for proc in reversed(started):
            processes.stop(proc)


def get(url: str, path: str, host: str) -> requests.Response:
    return requests.get(url + path, headers={"Host": host}, timeout=10, stream=True)


@pytest.mark.parametrize(
    "path", ["/", "/api/me", "/api/games/abcdefgh123/events", "/api/me/events"]
)
def test_another_host_is_refused_by_both_processes(front: str, path: str) -> None:
    with get(front, path, "evil.example") as response:
        assert response.status_code == 400
        assert "evil.example" not in response.text


@pytest.mark.parametrize("host", ["10.0.1.23", "10.0.1.23:80"])
def test_the_load_balancers_health_check_gets_its_200(front: str, host: str) -> None:
    with get(front, "/health", host) as response:
        assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("host", [PUBLIC, f"{PUBLIC}:80", PUBLIC.upper()])
def test_players_on_the_public_host_are_served(front: str, host: str) -> None:
    with get(front, "/", host) as page:
        assert page.status_code == 200 and "Tic-Tac-Toe" in page.text
    with get(front, "/api/me/events", host) as stream:
        assert stream.status_code == 401  # the stream process answers: sign in first
