"""`python -m devstack run`: the game on a local stack, as `make run` starts it.

DynamoDB Local (data kept in .local/data), moto's S3, a redis-server for the push bus, and the
app as an Elastic Beanstalk instance runs it: the Procfile's two processes (`web:` gunicorn,
`stream:` gunicorn with gevent workers, each on a free loopback port) behind Debian's nginx,
configured from the checkout's .platform/nginx files as the platform would
(devstack/platform_nginx.py, written into .local/nginx/), on the port the developer opens.
Ctrl-C stops everything this started.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import dynamodb_local, moto_server, platform_nginx, processes, redis_server

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
log = logging.getLogger("devstack")


def secret_key() -> str:
    """Return this checkout's local session key, made once and kept out of the repository."""
    path = LOCAL / "secret_key"
    if not path.exists():
        LOCAL.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def procfile_command(name: str, bind: str, root: Path = ROOT) -> list[str]:
    """Return the Procfile's `name:` command, bound to `bind`, run by this Python's gunicorn."""
    lines = (root / "Procfile").read_text().splitlines()
    (command,) = [line.split(":", 1)[1] for line in lines if line.startswith(f"{name}:")]
    args = shlex.split(command)
    index = args.index("--bind")
    args[index + 1] = bind
    assert args[0] == "gunicorn", f"the Procfile's {name}: runs {args[0]}, not gunicorn"
    return [sys.executable, "-m", "gunicorn", *args[1:]]


def bus_port(preferred: int = 6379) -> int:
    """Redis's usual port when it is free, else any free one (a system redis may hold it)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            return processes.free_port()
    return preferred


def run(port: int, config: Path) -> int:
    # Stop the same way on Ctrl-C and on `kill`: both unwind into the `finally` below. SIGINT
    # too when started in the background, where the shell had it ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started: list[subprocess.Popen[bytes]] = []
    try:
        if dynamodb_local.java_available():
            started.append(dynamodb_local.start(8000, LOCAL / "data", LOCAL / "dynamodb.log"))
            log.info("DynamoDB Local on http://127.0.0.1:8000 (data in .local/data)")
        else:
            log.warning("Java not found: using moto's server for DynamoDB (data is not kept)")
            started.append(moto_server.start(8000, LOCAL / "moto-dynamodb.log"))
        started.append(moto_server.start(9000, LOCAL / "moto-s3.log"))
        log.info("Local S3 (moto) on http://127.0.0.1:9000")
        redis_port = bus_port()
        started.append(redis_server.start(redis_port, LOCAL / "redis.log"))
        log.info("Push bus (redis-server) on %s", redis_server.url(redis_port))
        watched = sys.stdout.isatty()
        env = {
            "CONFIG_FILE": str(config),
            "TICTACTOE_SECRET_KEY": secret_key(),
            "TICTACTOE_PUSH_URL": redis_server.url(redis_port),
            # Readable lines for the person at this terminal (shown below as they come),
            # JSON as on Elastic Beanstalk when nobody is watching.
            "TICTACTOE_LOG_FORMAT": "text" if watched else "json",
        }
        logs = {name: LOCAL / f"{name}.log" for name in ("app", "stream")}
        seen = {name: path.stat().st_size if path.exists() else 0 for name, path in logs.items()}
        web_port, stream_port = processes.free_port(), processes.free_port()
        web = processes.start(
            procfile_command("web", f"127.0.0.1:{web_port}"), log=logs["app"], env=env, cwd=ROOT
        )
        started.append(web)
        stream = processes.start(
            procfile_command("stream", f"127.0.0.1:{stream_port}"),
            log=logs["stream"],
            env=env,
            cwd=ROOT,
        )
        started.append(stream)
        processes.wait_for_port(web_port, web)
        processes.wait_for_port(stream_port, stream)
        home = LOCAL / "nginx"
        shutil.rmtree(home, ignore_errors=True)
        conf = platform_nginx.write(
            ROOT, home, port, f"127.0.0.1:{web_port}", f"127.0.0.1:{stream_port}"
        )
        proxy = platform_nginx.start(conf, home)
        started.append(proxy)
        processes.wait_for_port(port, proxy, timeout=10)
        log.info(
            "web on 127.0.0.1:%d, stream on 127.0.0.1:%d, nginx in front (.local/nginx/)",
            web_port,
            stream_port,
        )
        print(
            f"\n  Tic-Tac-Toe is running: open http://127.0.0.1:{port}/ in two browsers", flush=True
        )
        print("  (logs in .local/*.log; Ctrl-C stops everything)\n", flush=True)
        if watched:
            follow({logs[name]: seen[name] for name in logs}, [web, stream, proxy])
        names = {web: "web", stream: "stream", proxy: "nginx"}
        while all(proc.poll() is None for proc in names):
            time.sleep(0.5)
        gone = next(proc for proc in names if proc.poll() is not None)
        log.error("%s exited with %s; stopping the rest", names[gone], gone.returncode)
        return gone.returncode or 1
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in reversed(started):
            processes.stop(proc)


def follow(paths: dict[Path, int], procs: list[subprocess.Popen[bytes]]) -> None:
    """Print what is appended to each of `paths` (from its offset on) until a process exits."""
    files = []
    for path, offset in paths.items():
        path.touch()
        handle = path.open("r", errors="replace")
        handle.seek(offset)
        files.append(handle)
    try:
        while all(proc.poll() is None for proc in procs):
            lines = [line for handle in files for line in iter(handle.readline, "")]
            for line in lines:
                print(line, end="", flush=True)
            if not lines:
                time.sleep(0.2)  # nothing new yet: look again shortly
    finally:
        for handle in files:
            handle.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    runner = sub.add_parser("run", help="start the game on a local stack")
    runner.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    runner.add_argument("--config", type=Path, default=ROOT / "local.toml")
    sub.add_parser("install", help="fetch DynamoDB Local into .local/")
    args = parser.parse_args()
    if args.command == "install":
        print(dynamodb_local.install())
        return 0
    return run(args.port, args.config.resolve())


if __name__ == "__main__":
    sys.exit(main())
