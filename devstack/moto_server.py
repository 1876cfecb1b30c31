"""moto's server: the local S3 (and DynamoDB when Java is missing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import processes


def start(port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start moto's server on 127.0.0.1:`port`."""
    proc = processes.start(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], log=log
    )
    processes.wait_for_port(port, proc)
    return proc
