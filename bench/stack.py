"""The benchmark's own stack: DynamoDB Local, moto's S3, and the app under gunicorn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack import dynamodb_local, moto_server, processes
from tictactoe.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-only-secret-key-0123456789"
GUNICORN = ["--workers", "2", "--threads", "4"]  # as `make run` and production start it


@dataclass(frozen=True)
class Stack:
    settings: Settings
    app_url: str
    calls_dir: Path
    app: subprocess.Popen[bytes]
    db: subprocess.Popen[bytes]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by the app (gunicorn and its workers) and DynamoDB Local."""
        return {"app": cpu_seconds(self.app.pid), "dynamodb_local": cpu_seconds(self.db.pid)}

    def dynamodb_calls(self) -> dict[str, dict[str, float]]:
        """Stop the app; sum the calls its workers counted and the seconds they waited."""
        _stop_app(self.app)
        calls: Counter[str] = Counter()
        seconds: Counter[str] = Counter()
        for path in self.calls_dir.glob("worker-*.json"):
            counted = json.loads(path.read_text())
            calls.update(counted["calls"])
            seconds.update(counted["seconds"])
        return {"calls": dict(calls), "seconds": dict(seconds)}


@contextmanager
def local_services(workdir: Path) -> Iterator[tuple[Settings, subprocess.Popen[bytes]]]:
    """DynamoDB Local and moto's S3 on free loopback ports, and the settings of an in-process
    app on them; both stopped (by PID) on the way out. Also returns DynamoDB Local's process."""
    with ExitStack() as stack:
        db_port, s3_port = processes.free_port(), processes.free_port()
        db = dynamodb_local.start(db_port, workdir / "data", workdir / "dynamodb.log")
        stack.callback(processes.stop, db)
        s3 = moto_server.start(s3_port, workdir / "moto-s3.log")
        stack.callback(processes.stop, s3)
        yield (
            Settings(
                region="us-west-2",
                endpoint=f"http://127.0.0.1:{db_port}",
                s3_endpoint=f"http://127.0.0.1:{s3_port}",
                secret_key=SECRET,
                # The in-process app measures capacity: many sign-ups and logins from 127.0.0.1.
                login_attempts_per_client=0,
                signups_per_client=0,
            ),
            db,
        )


@contextmanager
def local_stack(workdir: Path) -> Iterator[Stack]:
    """Start everything on free loopback ports; stop it all (by PID) on the way out."""
    with ExitStack() as stack:
        settings, db = stack.enter_context(local_services(workdir))
        app_port = processes.free_port()
        config = workdir / "bench.toml"
        config.write_text(
            f'[dynamodb]\nregion = "us-west-2"\nendpoint = "{settings.endpoint}"\n\n'
            f'[s3]\nbucket = "{settings.bucket}"\nendpoint = "{settings.s3_endpoint}"\n\n'
            # Dozens of players sign up from 127.0.0.1; the login limits stay at their defaults.
            "[limits]\nsignups_per_client = 0\n"
        )
        calls_dir = workdir / "calls"
        calls_dir.mkdir(exist_ok=True)
        env = {
            "CONFIG_FILE": str(config),
            "TICTACTOE_SECRET_KEY": SECRET,
            "BENCH_CALLS_DIR": str(calls_dir),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "PYTHONPATH": str(ROOT),
        }
        app = processes.start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *GUNICORN,
                "--bind",
                f"127.0.0.1:{app_port}",
                "--config",
                str(ROOT / "bench" / "gunicorn_conf.py"),
                "application:application",
            ],
            log=workdir / "app.log",
            env=env,
            cwd=ROOT,
        )
        stack.callback(_stop_app, app)
        processes.wait_for_port(app_port, app)
        yield Stack(settings, f"http://127.0.0.1:{app_port}", calls_dir, app, db)


def _stop_app(app: subprocess.Popen[bytes]) -> None:
    processes.stop(app, timeout=20)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` and its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        children = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += (task / "children").read_text().split()
    except OSError:
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)
