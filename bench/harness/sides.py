"""Two sides, baseline and current, each one instance of devstack's stack with push on.

Each side runs from its own tree (the baseline's worktree, or this one): its own Procfile's
gunicorn command lines (only the ports changed), `application:application` imported from that
tree, its own nginx laid out from that tree's .platform files as the platform does, its own
config naming tables of its own on the one DynamoDB Local, and the one redis-server as its
bus. Both load devstack/hooks.py with DEVSTACK_MARK=1, which only names each request for the
profiler. The load goes to the side's nginx, which sends the stream paths to the stream
process and the rest to the web process. The app's CPU is that of both gunicorn masters and
their workers. Every process is started by devstack and stopped by PID.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness.signups import address, sign_up
from bench.harness.stack import SECRET
from bench.load import Player
from devstack import stack
from devstack.config import Tables
from devstack.processes import cpu_seconds


@dataclass
class Side:
    """One side's two gunicorn processes, its nginx and where they listen."""

    name: str  # "baseline" or "current"
    root: Path
    web_port: int
    stream_port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    url: str = ""  # the side's nginx, for pages, the API and the streams alike

    @property
    def stream_url(self) -> str:
        return self.url

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
    with ExitStack() as running:
        bus = running.enter_context(
            stack.Stack(workdir, count=0, dynamodb_url=endpoint, s3_url=s3_endpoint)
        )
        found = {}
        for name, root in roots.items():
            side = running.enter_context(
                stack.Stack(
                    workdir,
                    name=name,
                    app_dir=root,
                    settings=_settings(name),
                    env={"TICTACTOE_LOG_FORMAT": "json"},  # as on Elastic Beanstalk
                    hooks={"DEVSTACK_MARK": "1"},
                    origin=False,  # the baseline's config loader may not know the key
                    dynamodb_url=endpoint,
                    s3_url=s3_endpoint,
                    redis_url=bus.redis_url,
                    secret=SECRET,
                )
            )
            (instance,) = side.instances
            assert instance.web is not None and instance.stream is not None
            procs = {"web": instance.web, "stream": instance.stream}
            found[name] = Side(
                name, root, instance.web_port, instance.stream_port, procs, url=side.url
            )
        yield found


def _settings(name: str) -> Tables:
    suffix = name.capitalize()
    return {
        "dynamodb": {
            "games_table": f"Games{suffix}",
            "users_table": f"Users{suffix}",
            "avatars_table": f"Avatars{suffix}",
        },
        "s3": {"bucket": f"bench-{name}-avatars"},
        # Dozens of players sign up from loopback; the other limits stay at their defaults.
        "limits": {"signups_per_client": 0},
    }
