"""The push benchmark's stack: production's shape on loopback, with push on and push off.

One DynamoDB Local and one moto S3 (the caller's, or started here), one redis-server (the
bus), and three of devstack's stacks (devstack/stack.py) on them, each its instances (the
Procfile's two processes behind the instance's nginx, laid out as Elastic Beanstalk's
platform does) and a load balancer in front: "on", two instances with push on; "off", two
with push off (no URL: the streams answer 503 and pages poll); "wait", one more with push on
that serves only the waiting benchmark's pages (on the same bus, so it hears every notice, as
production's instances do).

Every worker counts its DynamoDB calls live (devstack/hooks.py, into calls/, labelled
<mode>-<instance>-<web|stream>); the instances' config leaves the limits at their defaults
(the benchmark signs players up from loopback addresses of their own, 10 an address, within
the limit of 20 an hour). Every process is started by devstack and stopped by PID.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from devstack import stack

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
from .stack import SECRET, calls_hooks

# What other modules take from here (the stack's parts live in bench/harness/instances.py).
__all__ = ["Instance", "Process", "PushStack", "capacity", "children", "push_stack", "rss"]


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
