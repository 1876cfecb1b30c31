"""`python -m devstack run`: the game on a local stack, as `make run` starts it.

DynamoDB Local (data kept in .local/data), moto's S3, a redis-server for the push bus, and one
app instance as Elastic Beanstalk runs it (devstack/stack.py): the Procfile's two processes
(`web:` gunicorn, `stream:` gunicorn with gevent workers, each on a free loopback port) behind
Debian's nginx, configured from the checkout's .platform/nginx files as the platform would
(devstack/platform_nginx.py, written into .local/nginx/), on the port the developer opens.

Ctrl-C, SIGTERM or SIGHUP, to this process or to its whole process group (as a terminal
multiplexer or a CI runner sends it, and make passes it on a second time), stops everything
this started. A service that exits meanwhile is started again (DynamoDB Local, redis-server);
any other part that exits stops everything, with a line saying which.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TextIO

from . import dynamodb_local, processes
from .stack import ROOT, Stack

LOCAL = ROOT / ".local"
MAX_REVIVALS = 5  # a service that keeps exiting is broken: say so and stop
log = logging.getLogger("devstack")


def secret_key(local: Path = LOCAL) -> str:
    """Return this checkout's local session key, made once and kept out of the repository."""
    path = local / "secret_key"
    if not path.exists():
        local.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def bus_port(preferred: int = 6379) -> int:
    """Redis's usual port when it is free, else any free one (a system redis may hold it)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            return processes.free_port()
    return preferred


class Stopping(Exception):
    """A signal asked us to stop while the stack was starting."""


class Signals:
    """SIGINT, SIGTERM and SIGHUP, to us or to our whole process group, all mean "stop".

    The first one counts; the ones after it are ignored, so that a second signal (make passes
    SIGTERM on to us after the group got it) cannot cut the stopping short. While the stack
    starts it raises Stopping; afterwards it is only noted, and `supervise` sees it: an
    exception raised in the middle of a poll of a process could leave that process's lock
    held, and its stopping would then wait in vain."""

    def __init__(self) -> None:
        self.received: str | None = None
        self.raising = True

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            return  # already stopping everything
        self.received = signal.Signals(signum).name
        if self.raising:
            raise Stopping(self.received)


def run(
    port: int,
    config: Path,
    local: Path = LOCAL,
    dynamodb: int = 8000,
    s3: int = 9000,
    redis: int = 0,
) -> int:
    """Start the stack, supervise it until a signal or a failure, stop it; the exit status."""
    watched = sys.stdout.isatty()
    stack = _stack(port, config, local, (dynamodb, s3, redis or bus_port()), watched)
    logs = [local / "app.log", local / "stream.log"]
    follower = Follower({path: path.stat().st_size if path.exists() else 0 for path in logs})
    signals = Signals()
    signals.install()  # from here on, whatever stops us goes through the `finally` below
    try:
        if not dynamodb_local.java_available():
            log.warning("Java not found: using moto's server for DynamoDB (data is not kept)")
        stack.start()
        signals.raising = False
        announce(stack)
        status = supervise(stack, signals, follower if watched else None)
        if signals.received is not None:
            log.info("%s: stopping everything", signals.received)
        return status
    except Stopping as why:
        log.info("%s: stopping everything", why)
        return 0
    except (RuntimeError, TimeoutError) as err:  # a part that would not start: its log says why
        log.error("%s: stopping everything", err)
        return 1
    finally:
        stack.stop()
        stop_strays()
        follower.close()


def _stack(
    port: int, config: Path, local: Path, ports: tuple[int, int, int], watched: bool
) -> Stack:
    """Return `make run`'s stack: its data, logs, nginx and key in `local`, on fixed ports."""
    dynamodb, s3, redis = ports
    return Stack(
        local,
        port=port,
        config=config,
        dynamodb_port=dynamodb,
        s3_port=s3,
        redis_port=redis,
        dynamodb_data=local / "data",
        logs=("app.log", "stream.log"),
        nginx_dir="nginx",
        secret=secret_key(local),
        # Readable lines for the person at this terminal (shown below as they come), JSON as
        # on Elastic Beanstalk when nobody is watching.
        env={"TICTACTOE_LOG_FORMAT": "text" if watched else "json"},
    )


def stop_strays() -> None:
    """Kill any child of ours still running that the stack lost track of (a signal that came
    between a fork and its bookkeeping): each was started as the leader of its own group."""
    for pid in processes.children(os.getpid()):
        processes.signal_group(pid, signal.SIGKILL)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass  # gone, or reaped by its Popen meanwhile


def announce(stack: Stack) -> None:
    """Say where everything listens, and the address to open."""
    instance = stack.instances[0]
    log.info("DynamoDB on %s, local S3 (moto) on %s", stack.dynamodb_url, stack.s3_url)
    log.info("Push bus (redis-server) on %s", stack.redis_url)
    log.info(
        "web on %s, stream on %s, nginx in front (%s)",
        instance.web_url,
        instance.stream_url,
        instance.nginx_home,
    )
    print(f"\n  Tic-Tac-Toe is running: open {stack.url}/ in two browsers", flush=True)
    print(f"  (logs in {stack.home}/*.log; Ctrl-C stops everything)\n", flush=True)


def supervise(stack: Stack, signals: Signals, follower: Follower | None) -> int:
    """Until a signal comes, start again a service that exits, up to MAX_REVIVALS times, and
    stop at anything else; return the exit status."""
    revivals = 0
    while signals.received is None:
        if follower is not None:
            follower.show()
        try:
            revived = stack.revive()
        except (RuntimeError, TimeoutError) as err:
            log.error("a service exited and could not be started again (%s): stopping", err)
            return 1
        for name in revived:
            revivals += 1
            log.warning("%s had exited: started it again", name)
        if revivals > MAX_REVIVALS:
            log.error("services exited %d times: stopping everything", revivals)
            return 1
        gone = stack.dead()
        if gone is not None:
            log.error("%s exited: stopping everything", gone)
            return 1
        time.sleep(0.2)
    return 0


class Follower:
    """Print what is appended to some files, each from an offset on."""

    def __init__(self, offsets: dict[Path, int]) -> None:
        self.handles: list[TextIO] = []
        for path, offset in offsets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            handle = path.open("r", errors="replace")
            handle.seek(offset)
            self.handles.append(handle)

    def show(self) -> None:
        """Print the lines appended since the last call."""
        for handle in self.handles:
            for line in iter(handle.readline, ""):
                print(line, end="", flush=True)

    def close(self) -> None:
        for handle in self.handles:
            handle.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    runner = sub.add_parser("run", help="start the game on a local stack")
    runner.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    runner.add_argument("--config", type=Path, default=ROOT / "local.toml")
    # For a second stack beside the first (the tests start one): its own folder and ports.
    runner.add_argument("--local", type=Path, default=LOCAL, help="logs, data and the key")
    runner.add_argument("--dynamodb-port", type=int, default=8000)
    runner.add_argument("--s3-port", type=int, default=9000)
    runner.add_argument("--redis-port", type=int, default=0, help="default: 6379 when free")
    sub.add_parser("install", help="fetch DynamoDB Local into .local/")
    args = parser.parse_args()
    if args.command == "install":
        print(dynamodb_local.install())
        return 0
    return run(
        args.port,
        args.config.resolve(),
        args.local.resolve(),
        args.dynamodb_port,
        args.s3_port,
        args.redis_port,
    )


if __name__ == "__main__":
    sys.exit(main())
