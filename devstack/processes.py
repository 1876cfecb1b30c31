"""Start and stop local servers on loopback, by PID, and wait for their ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """Return True when something accepts connections on 127.0.0.1:`port` now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60
) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before listening")
        if listening(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def start(
    args: Sequence[str],
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    unset: Iterable[str] = (),
) -> subprocess.Popen[bytes]:
    """Start a server in its own process group, its output appended to `log`.

    Its environment is ours with `env` on top and the names in `unset` removed."""
    log.parent.mkdir(parents=True, exist_ok=True)
    merged = {**os.environ, **(env or {})}
    for name in unset:
        merged.pop(name, None)
    with log.open("ab") as out:
        return subprocess.Popen(
            list(args),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=merged,
            cwd=cwd,
            start_new_session=True,
        )


def group(pgid: int) -> list[int]:
    """Return the PIDs of the live processes in process group `pgid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields[2]: pgrp; Z: a zombie
            found.append(int(entry.name))
    return found


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a server we started (its whole process group), politely then firmly."""
    stop_all([proc], timeout)


def stop_all(procs: Iterable[subprocess.Popen[bytes]], timeout: float = 10) -> None:
    """Stop servers we started, each with its process group: SIGTERM to all at once, SIGKILL
    to what is left after `timeout`, then to anything their groups still hold.

    Each was started as the leader of a group of its own, so its group's ID is its PID. A
    leader that died first (SIGKILLed, crashed) may leave workers behind in its group: those
    are found by their group and killed by PID, so nothing we started outlives this."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGKILL)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass  # reaped by no one yet (a wait cut short by a signal): killed below
    for proc in procs:
        for pid in group(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # ended meanwhile


def signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send `sig` to process group `pgid`, if it is still there."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass  # the whole group is gone already


def descendants(pid: int) -> list[int]:
    """Return the PIDs of `pid`'s live children, their children and so on (Linux /proc)."""
    found: list[int] = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def children(pid: int) -> list[int]:
    """Return the PIDs of `pid`'s live children (Linux /proc)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass  # gone
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` and its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return own + sum(cpu_seconds(child) for child in children(pid))


def wait_healthy(
    proc: subprocess.Popen[bytes] | None, url: str, label: str, timeout: float = 90
) -> None:
    """Wait until `url`/health answers 200 (a first start creates the tables first)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{label} exited before it was healthy; see its log")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass  # still starting
        if time.monotonic() > deadline:
            raise TimeoutError(f"{label} not healthy within {timeout} s")
        time.sleep(0.2)
