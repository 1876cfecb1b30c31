"""The benchmarks' stacks, each devstack's production shape (devstack/stack.py).

`local_stack`: one instance, push off, each worker's DynamoDB calls counted by
devstack/hooks.py with the bench's recorder; the load goes to the instance's nginx, as a load
balancer's would.

`push_stack`, the push suite's: one DynamoDB Local and one moto S3 (the caller's, or started
here), one redis-server (the bus), and three of devstack's stacks on them, each its instances
(the Procfile's two processes behind the instance's nginx, laid out as Elastic Beanstalk's
platform does) and a load balancer in front: "on", two instances with push on; "off", two with
push off (no URL: the streams answer 503 and pages poll); "wait", one more with push on that
serves only the waiting benchmark's pages (on the same bus, so it hears every notice, as
production's instances do). Every worker counts its DynamoDB calls live (devstack/hooks.py,
into calls/, labelled <mode>-<instance>-<web|stream>); the instances' config leaves the limits
at their defaults (the benchmark signs players up from loopback addresses of their own, 10 an
address, within the limit of 20 an hour).

Every process is started by devstack and stopped by PID.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.capacity import Recorder
from bench.harness.instances import INSTANCES, MODES, PUSH_ON, Instance, Process, PushStack
from devstack import stack
from devstack.config import REGION
from devstack.processes import cpu_seconds
from tictactoe.config import Settings

__all__ = ["ROOT", "SECRET", "Stack", "calls_hooks", "cpu_seconds", "local_stack", "push_stack"]

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


@contextmanager
def push_stack(
    workdir: Path, endpoint: str | None = None, s3_endpoint: str | None = None
) -> Iterator[PushStack]:
    """Start everything (DynamoDB Local and S3 too unless given); stop it all by PID."""
    with ExitStack() as running:
        services = running.enter_context(
            stack.Stack(workdir, count=0, dynamodb_url=endpoint or "", s3_url=s3_endpoint or "")
        )
        pushed = PushStack(
            workdir, services.dynamodb_url, services.s3_url, services.redis_url, ports={}
        )
        for mode in MODES:  # one after the other: on a new database the first makes the tables
            started = running.enter_context(
                stack.Stack(
                    workdir,
                    count=INSTANCES[mode],
                    push=mode in PUSH_ON,
                    balancer=True,
                    name=mode,
                    settings={"s3": {"bucket": "bench-push-avatars"}},
                    env={"TICTACTOE_LOG_FORMAT": "json"},  # as on Elastic Beanstalk
                    hooks=calls_hooks(pushed.calls_dir),
                    dynamodb_url=services.dynamodb_url,
                    s3_url=services.s3_url,
                    redis_url=services.redis_url,
                    log_requests=False,
                    secret=SECRET,  # the same key on every instance, as in production
                )
            )
            pushed.ports[mode] = started.port
            pushed.instances += [
                Instance(
                    mode,
                    i.name,
                    Process(f"{mode}-{i.name}-web", i.web_port, i.web),
                    Process(f"{mode}-{i.name}-stream", i.stream_port, i.stream),
                )
                for i in started.instances
            ]
        yield pushed
