"""Debian's redis-server: the push bus on loopback (make run, the tests, the benchmarks)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from . import processes


def available() -> bool:
    """Return True when redis-server is installed (make run and make test install it)."""
    return shutil.which("redis-server") is not None


def start(port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start a throwaway redis-server on 127.0.0.1:`port`: nothing is saved to disk."""
    proc = processes.start(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ],
        log=log,
    )
    processes.wait_for_port(port, proc)
    return proc


def url(port: int) -> str:
    """Return the bus URL of a redis-server on 127.0.0.1:`port`."""
    return f"redis://127.0.0.1:{port}/0"
