"""The push benchmark's stack: production's shape on loopback, with push on and push off.

One DynamoDB Local and one moto S3 (the caller's, or started here), one redis-server (the
bus), and five app instances, each the Procfile's two processes (`web:` gunicorn gthread,
`stream:` gunicorn gevent, their command lines read from the Procfile with only the ports
changed): two with push on (TICTACTOE_PUSH_URL names the redis-server), two with push off
(no URL: the streams answer 503 and pages poll), and one more with push on that serves only
the waiting benchmark's pages (on the same bus, so it hears every notice, as production's
instances do). Debian's nginx balances them as Elastic Beanstalk's does: one port per mode,
round-robin over that mode's web processes, and the stream paths
(`^/api/(games/<id>|me)/events$`) round-robin over its stream processes with proxy_buffering
off, proxy_read_timeout 60s, HTTP/1.1 and an empty Connection header. worker_connections is
8192 (each open stream is two connections).

Each process runs with bench/push_conf.py, which counts its DynamoDB calls live; the
instances' config leaves the limits at their defaults (the benchmark signs players up from
loopback addresses of their own, 10 an address, within the limit of 20 an hour). Every
process is started here, in a process group of its own, and stopped by PID.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from devstack import dynamodb_local, moto_server, processes, redis_server

from .harness.calls import capacity
from .harness.instances import (
    INSTANCES,
    MODES,
    PUSH_ON,
    Instance,
    Process,
    PushStack,
    children,
    rss,
)
from .push_nginx import start_nginx
from .stack import ROOT, SECRET

# What other modules take from here (the stack's parts live in bench/push_instances.py).
__all__ = ["Instance", "Process", "PushStack", "capacity", "children", "push_stack", "rss"]


@contextmanager
def push_stack(
    workdir: Path, endpoint: str | None = None, s3_endpoint: str | None = None
) -> Iterator[PushStack]:
    """Start everything (DynamoDB Local and S3 too unless given); stop it all by PID."""
    with ExitStack() as stack:
        fresh = endpoint is None  # a new DynamoDB Local: its tables are still to be made
        if endpoint is None:
            port = processes.free_port()
            db = dynamodb_local.start(port, workdir / "data", workdir / "dynamodb.log")
            stack.callback(processes.stop, db)
            endpoint = f"http://127.0.0.1:{port}"
        if s3_endpoint is None:
            port = processes.free_port()
            s3 = moto_server.start(port, workdir / "moto-s3.log")
            stack.callback(processes.stop, s3)
            s3_endpoint = f"http://127.0.0.1:{port}"
        redis_port = processes.free_port()
        bus = redis_server.start(redis_port, workdir / "redis.log")
        stack.callback(processes.stop, bus)
        running = PushStack(
            workdir,
            endpoint,
            s3_endpoint,
            redis_server.url(redis_port),
            {mode: processes.free_port() for mode in MODES},
        )
        running.calls_dir.mkdir(parents=True, exist_ok=True)
        config = _write_config(running)
        commands = procfile()
        for mode in MODES:
            for name in ("a", "b")[: INSTANCES[mode]]:
                running.instances.append(
                    Instance(
                        mode,
                        name,
                        Process(f"{mode}-{name}-web", processes.free_port()),
                        Process(f"{mode}-{name}-stream", processes.free_port()),
                    )
                )
        everyone = [p for i in running.instances for p in (i.web, i.stream)]
        # On a new database one process first, so that only it creates the tables; then the
        # others at once.
        started: list[subprocess.Popen[bytes]] = []
        stack.callback(stop_all, started)
        for process in everyone:
            mode = process.label.split("-")[0]
            process.proc = _spawn(
                running,
                process,
                commands[process.label.split("-")[2]],
                config,
                running.redis_url if mode in PUSH_ON else "",
            )
            started.append(process.proc)
            if fresh and process is everyone[0]:
                wait_healthy(process)
        for process in everyone:
            wait_healthy(process)
        nginx = start_nginx(running)
        stack.callback(processes.stop, nginx)
        yield running


def stop_all(started: list[subprocess.Popen[bytes]], timeout: float = 20) -> None:
    """Stop the gunicorn processes we started (each its own process group, by PID): all told
    at once, then each waited for, and killed if it does not go."""
    for proc in started:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    for proc in started:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            processes.stop(proc, timeout=5)  # SIGTERM again, then SIGKILL to its group


def procfile(root: Path = ROOT) -> dict[str, list[str]]:
    """The Procfile's gunicorn arguments per process type ("web", "stream"), of the tree at
    `root` (this one, or the baseline's worktree)."""
    found = {}
    for line in (root / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if not sep or not command.strip():
            continue
        args = shlex.split(command)
        if args and args[0] == "gunicorn":
            found[name.strip()] = args[1:]
    missing = {"web", "stream"} - set(found)
    if missing:
        raise RuntimeError(f"the Procfile has no {', '.join(sorted(missing))} process")
    return found


def rebind(args: list[str], addr: str) -> list[str]:
    """The same arguments, bound to `addr` instead."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--bind", "-b"):
            skip = True
        elif not arg.startswith("--bind="):
            out.append(arg)
    return [*out, "--bind", addr]


def _write_config(running: PushStack) -> Path:
    path = running.home / "push.toml"
    path.write_text(
        f'[dynamodb]\nregion = "us-west-2"\nendpoint = "{running.endpoint}"\n\n'
        f'[s3]\nbucket = "bench-push-avatars"\nendpoint = "{running.s3_endpoint}"\n\n'
        # Behind nginx, as on Elastic Beanstalk: believe the address nginx saw. Limits at
        # their defaults.
        "[flask]\ntrusted_proxies = 1\n"
    )
    return path


def _spawn(
    running: PushStack, process: Process, args: list[str], config: Path, push_url: str
) -> subprocess.Popen[bytes]:
    env = {
        "CONFIG_FILE": str(config),
        "TICTACTOE_SECRET_KEY": SECRET,  # the same key on every instance, as in production
        "TICTACTOE_PUSH_URL": push_url,  # empty: push off
        "TICTACTOE_LOG_FORMAT": "json",  # as on Elastic Beanstalk
        "BENCH_CALLS_DIR": str(running.calls_dir),
        "BENCH_LABEL": process.label,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONPATH": str(ROOT),
    }
    return processes.start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *rebind(args, process.addr),
            "--config",
            str(ROOT / "bench" / "push_conf.py"),
        ],
        log=running.home / f"{process.label}.log",
        env=env,
        cwd=ROOT,
    )


def wait_healthy(process: Process, timeout: float = 90) -> None:
    processes.wait_healthy(process.proc, f"http://{process.addr}", process.label, timeout)
