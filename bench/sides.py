"""Two sides, baseline and current, each the Procfile's web and stream processes, push on.

Each side runs from its own tree (the baseline's worktree, or this one): its own Procfile's
gunicorn command lines (only the ports changed), `application:application` imported from
that tree (the working directory and PYTHONPATH), its own CONFIG_FILE naming tables of its
own on the one DynamoDB Local, and the one redis-server as its bus. Both load
bench/marker_conf.py, which only names each request for the profiler. No nginx: the load
generator sends the stream paths to the stream process and the rest to the web process, as
the instance's nginx would. The app's CPU is that of both gunicorn masters and their workers.
Every process is started here, in a process group of its own, and stopped by PID.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devstack import processes, redis_server

from .harness.signups import address, sign_up
from .load import Player
from .push_stack import procfile, rebind, stop_all
from .stack import ROOT, SECRET, cpu_seconds

CONF = ROOT / "bench" / "marker_conf.py"


@dataclass
class Side:
    """One side's two gunicorn processes and where they listen."""

    name: str  # "baseline" or "current"
    root: Path
    web_port: int
    stream_port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def stream_url(self) -> str:
        return f"http://127.0.0.1:{self.stream_port}"

    def cpu(self) -> float:
        """User + system CPU seconds so far of both masters and their live workers."""
        return sum(cpu_seconds(proc.pid) for proc in self.procs.values())

    def pids(self) -> dict[str, int]:
        return {kind: proc.pid for kind, proc in self.procs.items()}

    def register(self, names: list[str]) -> list[Player]:
        """Sign players up on this side (its tables are its own), four at a time."""
        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda name: sign_up(self.url, name, address()), names))


@contextmanager
def sides(
    roots: dict[str, Path], endpoint: str, s3_endpoint: str, workdir: Path
) -> Iterator[dict[str, Side]]:
    """Start every side in `roots` ({name: tree}) on one redis-server; stop all by PID."""
    with ExitStack() as stack:
        redis_port = processes.free_port()
        bus = redis_server.start(redis_port, workdir / "redis.log")
        stack.callback(processes.stop, bus)
        started: list[subprocess.Popen[bytes]] = []
        stack.callback(stop_all, started)
        running = {}
        for name, root in roots.items():
            side = Side(name, root, processes.free_port(), processes.free_port())
            config = _config(side, endpoint, s3_endpoint, workdir)
            commands = procfile(root)
            for kind, port in (("web", side.web_port), ("stream", side.stream_port)):
                # The web process first: on a new database, it alone creates the side's tables.
                proc = _spawn(
                    side,
                    kind,
                    rebind(commands[kind], f"127.0.0.1:{port}"),
                    config,
                    redis_server.url(redis_port),
                    workdir,
                )
                started.append(proc)
                side.procs[kind] = proc
                processes.wait_healthy(proc, f"http://127.0.0.1:{port}", f"{name} {kind}", 120)
            running[name] = side
        yield running


def _config(side: Side, endpoint: str, s3_endpoint: str, workdir: Path) -> Path:
    suffix = side.name.capitalize()
    path = workdir / f"{side.name}.toml"
    path.write_text(
        f'[dynamodb]\nregion = "us-west-2"\nendpoint = "{endpoint}"\n'
        f'games_table = "Games{suffix}"\nusers_table = "Users{suffix}"\n'
        f'avatars_table = "Avatars{suffix}"\n\n'
        f'[s3]\nbucket = "bench-{side.name}-avatars"\nendpoint = "{s3_endpoint}"\n\n'
        # Dozens of players sign up from loopback; the other limits stay at their defaults.
        "[limits]\nsignups_per_client = 0\n"
    )
    return path


def _spawn(
    side: Side, kind: str, args: list[str], config: Path, push_url: str, workdir: Path
) -> subprocess.Popen[bytes]:
    env = {
        "CONFIG_FILE": str(config),
        "TICTACTOE_SECRET_KEY": SECRET,
        "TICTACTOE_PUSH_URL": push_url,
        "TICTACTOE_LOG_FORMAT": "json",  # as on Elastic Beanstalk
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONPATH": str(side.root),  # its own tree's application and package, never ours
    }
    return processes.start(
        [sys.executable, "-m", "gunicorn", *args, "--config", str(CONF)],
        log=workdir / f"{side.name}-{kind}.log",
        env=env,
        cwd=side.root,
    )
