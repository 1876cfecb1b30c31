"""The push stack's parts: its modes, instances and processes, and what they report (CPU, RSS)."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.calls import capacity
from bench.harness.signups import SIGNUPS_PER_ADDRESS, address, sign_up
from bench.load import Player
from devstack.processes import children, cpu_seconds

# "on" and "off" are compared; "wait" (push on too) serves only the waiting benchmark's two
# pages, so that its counts hold nothing else while the other figures are measured.
MODES = ("on", "off", "wait")
PUSH_ON = ("on", "wait")
INSTANCES = {"on": 2, "off": 2, "wait": 1}  # the waiting pages' requests need only one
STREAM_PATHS = r"^/api/(games/[A-Za-z0-9_-]+|me)/events$"


@dataclass
class Process:
    """One of an instance's two gunicorn processes (a master and its workers)."""

    label: str  # "on-a-web", "off-b-stream", ...
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        assert self.proc is not None
        return children(self.proc.pid)


@dataclass
class Instance:
    mode: str
    name: str
    web: Process
    stream: Process


@dataclass
class PushStack:
    home: Path
    endpoint: str
    s3_endpoint: str
    redis_url: str
    ports: dict[str, int]  # nginx's port per mode
    instances: list[Instance] = field(default_factory=list)

    @property
    def calls_dir(self) -> Path:
        return self.home / "calls"

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.ports[mode]}"

    def of(self, mode: str) -> list[Instance]:
        return [i for i in self.instances if i.mode == mode]

    def cpu(self, mode: str) -> dict[str, float]:
        """User + system CPU seconds so far of the mode's gunicorn masters and workers."""
        used: dict[str, float] = defaultdict(float)
        for instance in self.of(mode):
            for kind in ("web", "stream"):
                proc = getattr(instance, kind).proc
                assert proc is not None
                used[kind] += cpu_seconds(proc.pid)  # the master and its live workers
        return dict(used)

    def stream_rss(self, mode: str = "on") -> int:
        """Resident bytes of the mode's stream workers (each stream process has one)."""
        return sum(rss(pid) for i in self.of(mode) for pid in i.stream.workers())

    def capacity(self, mode: str, settle: float = 0.6) -> dict[str, Any]:
        """Every DynamoDB call the mode's processes have made so far (see `capacity`)."""
        return capacity(self.calls_dir, mode, settle)

    def register(self, names: list[str], mode: str = "on") -> list[Player]:
        """Sign players up through nginx, from loopback addresses of their own."""
        url = self.url(mode)
        sources = [address() for _ in range(0, len(names), SIGNUPS_PER_ADDRESS)]
        jobs = [(name, sources[i // SIGNUPS_PER_ADDRESS]) for i, name in enumerate(names)]
        # Four at a time: each web worker hashes one password at a time, with one waiting.
        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda job: sign_up(url, *job), jobs))


# -- /proc -----------------------------------------------------------------------------------


def rss(pid: int) -> int:
    """Resident set size of `pid` in bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
