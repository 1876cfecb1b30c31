"""`make run` stops everything it started, however it is stopped, and does not carry on with a
dead server: a redis-server killed under it is started again.

Each test starts `python -m devstack run` on free ports with a folder of its own (never the
checkout's .local/ or port 5000), in a process group of its own, as a terminal multiplexer or a
CI runner starts `make run`, and stops it by signalling that group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import processes
from tests.support import ROOT

pytestmark = pytest.mark.stack


@dataclass
class Run:
    """A `make run` in a process group of its own, and where its stack listens."""

    proc: subprocess.Popen[bytes]
    output: Path
    ports: dict[str, int]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['app']}"

    def said(self) -> str:
        return self.output.read_text(errors="replace")

    def servers(self) -> dict[int, str]:
        """Every process it started, and their children: PID -> command name."""
        return {pid: name(pid) for pid in processes.descendants(self.proc.pid)}

    def wait_serving(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not healthy(self.url):
            assert self.proc.poll() is None, f"make run exited:\n{self.said()}"
            assert time.monotonic() < deadline, f"make run never served:\n{self.said()}"
            time.sleep(0.5)


def name(pid: int) -> str:
    """The command name of `pid`, "" once it is gone (or a zombie, which runs nothing)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return "" if status.rsplit(")", 1)[1].split()[0] == "Z" else status.split("(")[1].split(")")[0]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def ping(port: int) -> bool:
    """True when a redis-server answers PING on `port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[Run]:
    """`make run` on free ports, under make (which passes a SIGTERM on to its child)."""
    ports = {k: processes.free_port() for k in ("app", "dynamodb", "s3", "redis")}
    config = tmp_path / "local.toml"
    config.write_text(
        f'[dynamodb]\nregion = "us-west-2"\nendpoint = "http://127.0.0.1:{ports["dynamodb"]}"\n'
        f'[s3]\nbucket = "make-run"\nendpoint = "http://127.0.0.1:{ports["s3"]}"\n'
        "[flask]\ntrusted_proxies = 1\n"
    )
    args = [
        sys.executable,
        "-m",
        "devstack",
        "run",
        "--port",
        str(ports["app"]),
        "--config",
        str(config),
        "--local",
        str(tmp_path / "local"),
        "--dynamodb-port",
        str(ports["dynamodb"]),
        "--s3-port",
        str(ports["s3"]),
        "--redis-port",
        str(ports["redis"]),
    ]
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"run:\n\t{subprocess.list2cmdline(args)}\n")
    output = tmp_path / "make-run.txt"
    with output.open("wb") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "-f", str(makefile), "run"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, as a terminal's job is
        )
    run = Run(proc, output, ports)
    try:
        yield run
    finally:
        for pid in [*run.servers(), proc.pid]:  # whatever the test left behind
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait(10)


def sigterm_the_group_and_check_all_stopped(run: Run) -> None:
    started = run.servers()
    kinds = set(started.values())
    assert {"java", "redis-server", "nginx"} <= kinds, started
    os.killpg(run.proc.pid, signal.SIGTERM)  # make, its shell and python all get it
    run.proc.wait(60)
    deadline = time.monotonic() + 30
    while left := {pid: n for pid in started if (n := name(pid))}:
        assert time.monotonic() < deadline, f"still running after SIGTERM: {left}"
        time.sleep(0.2)
    for kind, port in run.ports.items():
        assert not processes.listening(port), f"{kind}'s port {port} still answers"
    assert "SIGTERM: stopping everything" in run.said()


def test_sigterm_to_make_runs_process_group_stops_everything(make_run: Run) -> None:
    make_run.wait_serving()
    sigterm_the_group_and_check_all_stopped(make_run)


def test_a_killed_redis_server_is_started_again(make_run: Run) -> None:
    make_run.wait_serving()
    port = make_run.ports["redis"]
    (killed,) = [pid for pid, n in make_run.servers().items() if n == "redis-server"]
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not (ping(port) and f"redis-server on port {port} had exited" in make_run.said()):
        assert make_run.proc.poll() is None, make_run.said()
        assert time.monotonic() < deadline, f"the bus never came back:\n{make_run.said()}"
        time.sleep(0.2)
    (again,) = [pid for pid, n in make_run.servers().items() if n == "redis-server"]
    assert again != killed and healthy(make_run.url)
    assert "started it again" in make_run.said()
    sigterm_the_group_and_check_all_stopped(make_run)
