"""The benchmark's stack: devstack's production shape (devstack/stack.py) with one instance,
push off, each worker's DynamoDB calls counted by devstack/hooks.py with the bench's recorder;
the load goes to the instance's nginx, as a load balancer's would."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack import stack
from devstack.config import REGION
from devstack.processes import cpu_seconds
from tictactoe.config import Settings

from .capacity import Recorder

__all__ = ["ROOT", "SECRET", "Stack", "calls_hooks", "cpu_seconds", "local_stack"]

ROOT = stack.ROOT
SECRET = "benchmark-only-secret-key-0123456789"


def calls_hooks(calls_dir: Path) -> dict[str, str]:
    """What devstack/hooks.py needs to count each worker's calls into `calls_dir`."""
    calls_dir.mkdir(parents=True, exist_ok=True)
    recorder = f"{Recorder.__module__}:{Recorder.__qualname__}"
    return {"DEVSTACK_CALLS_DIR": str(calls_dir), "DEVSTACK_RECORDER": recorder}


@dataclass(frozen=True)
class Stack:
    settings: Settings  # for an in-process app on the same DynamoDB Local and S3
    app_url: str
    calls_dir: Path
    running: stack.Stack

    @property
    def db(self) -> subprocess.Popen[bytes]:
        assert self.running.dynamodb is not None
        return self.running.dynamodb

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by the app (both gunicorns and their workers) and DynamoDB."""
        (instance,) = self.running.instances
        app = sum(cpu_seconds(p.pid) for p in (instance.web, instance.stream) if p is not None)
        return {"app": app, "dynamodb_local": cpu_seconds(self.db.pid)}

    def dynamodb_calls(self) -> dict[str, dict[str, float]]:
        """Stop the app; sum the calls its workers counted and the seconds they waited."""
        self.running.stop_instances()
        calls: Counter[str] = Counter()
        seconds: Counter[str] = Counter()
        for path in self.calls_dir.glob("live-*.json"):
            counted = json.loads(path.read_text())
            # Not the stack's own /health checks as it started: the benchmark's requests only.
            calls.update({k: n for k, n in counted["by_operation"].items() if _ours(k)})
            seconds.update({k: t for k, t in counted["seconds"].items() if _ours(k)})
        return {"calls": dict(calls), "seconds": dict(seconds)}


def _ours(key: str) -> bool:
    return not key.startswith("health")


@contextmanager
def local_stack(workdir: Path) -> Iterator[Stack]:
    """Start everything on free loopback ports; stop it all (by PID) on the way out."""
    calls_dir = workdir / "calls"
    running = stack.Stack(
        workdir,
        push=False,
        secret=SECRET,
        hooks=calls_hooks(calls_dir),
        # Dozens of players sign up from 127.0.0.1; the login limits stay at their defaults.
        settings={"limits": {"signups_per_client": 0}},
    )
    with running:
        settings = Settings(
            region=REGION,
            endpoint=running.dynamodb_url,
            s3_endpoint=running.s3_url,
            secret_key=SECRET,
            # The in-process app measures capacity: many sign-ups and logins from 127.0.0.1.
            login_attempts_per_client=0,
            signups_per_client=0,
        )
        yield Stack(settings, running.url, calls_dir, running)
