"""`python -m devstack run`: the game on a local stack, as `make run` starts it.

DynamoDB Local (data kept in .local/data), moto's S3, and the app under gunicorn with two
workers, as in production. Ctrl-C stops everything this started.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import dynamodb_local, moto_server, processes

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


def run(port: int, config: Path) -> int:
    # Stop the same way on Ctrl-C and on `kill`: both unwind into the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    started = []
    try:
        if dynamodb_local.java_available():
            started.append(dynamodb_local.start(8000, LOCAL / "data", LOCAL / "dynamodb.log"))
            log.info("DynamoDB Local on http://127.0.0.1:8000 (data in .local/data)")
        else:
            log.warning("Java not found: using moto's server for DynamoDB (data is not kept)")
            started.append(moto_server.start(8000, LOCAL / "moto-dynamodb.log"))
        started.append(moto_server.start(9000, LOCAL / "moto-s3.log"))
        log.info("Local S3 (moto) on http://127.0.0.1:9000")
        watched = sys.stdout.isatty()
        env = {"CONFIG_FILE": str(config), "TICTACTOE_SECRET_KEY": secret_key(),
               # Readable lines for the person at this terminal (shown below as they come),
               # JSON as on Elastic Beanstalk when nobody is watching.
               "TICTACTOE_LOG_FORMAT": "text" if watched else "json"}  # fmt: skip
        app_log = LOCAL / "app.log"
        seen = app_log.stat().st_size if app_log.exists() else 0
        app = processes.start(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
             "--no-control-socket", "--bind", f"127.0.0.1:{port}", "application:application"],
            log=app_log, env=env, cwd=ROOT,
        )  # fmt: skip
        started.append(app)
        processes.wait_for_port(port, app)
        print(
            f"\n  Tic-Tac-Toe is running: open http://127.0.0.1:{port}/ in two browsers", flush=True
        )
        print("  (logs in .local/*.log; Ctrl-C stops everything)\n", flush=True)
        if watched:
            follow(app_log, seen, app)
        return app.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in reversed(started):
            processes.stop(proc)


def follow(path: Path, offset: int, proc: subprocess.Popen[bytes]) -> None:
    """Print what `proc` appends to `path` from `offset` on, until it exits."""
    with path.open("r", errors="replace") as lines:
        lines.seek(offset)
        while True:
            line = lines.readline()
            if line:
                print(line, end="", flush=True)
            elif proc.poll() is not None:
                return
            else:
                time.sleep(0.2)  # nothing new yet: look again shortly


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
