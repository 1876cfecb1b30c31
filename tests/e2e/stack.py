"""The end-to-end tests' stack: devstack's production shape with two instances and the load
balancer in front (devstack/stack.py), named as the tests use it.

The players' browsers open `Stack.url` (the load balancer) or an instance's own nginx
(`Instance.url`); `hits` reads the load balancer's log, where a header the tests add names the
player. Every process is started by devstack, owned by PID and stopped by `Stack.stop`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devstack import stack
from devstack.balancer import Hit
from devstack.config import REGION, Tables
from devstack.instance import Instance
from devstack.stack import ROOT, stream_graceful_timeout

__all__ = ["REGION", "ROOT", "Hit", "Instance", "Stack", "stream_graceful_timeout", "wait_healthy"]

SETTINGS: Tables = {
    "s3": {"bucket": "e2e-avatars"},
    # Every browser comes from 127.0.0.1: the limits have tests of their own.
    "limits": {
        "failed_logins_per_account": 0,
        "login_attempts_per_client": 0,
        "signups_per_client": 0,
    },
}


@dataclass(eq=False)
class Stack(stack.Stack):
    """Two instances, both at once against an empty database, and the load balancer."""

    count: int = 2
    name: str = "e2e"
    settings: Tables = field(default_factory=lambda: SETTINGS)
    # Both processes of an instance in one log, as the instance's logs are read together.
    logs: tuple[str, str] = ("app-{instance}.log", "app-{instance}.log")

    def kill_instance(self, instance: Instance) -> None:
        """SIGKILL the instance, its nginx and both processes with their workers: a crash."""
        instance.kill()

    def terminate_instance(self, instance: Instance) -> None:
        """Stop the instance as a deploy or a scale-in does; `wait_stopped` waits for it."""
        instance.terminate()

    def wait_stopped(self, instance: Instance, timeout: float) -> None:
        instance.wait_stopped(timeout)

    def restart_instance(self, instance: Instance) -> None:
        self.restart(instance)

    def open_streams(self, instance: Instance) -> int:
        """How many streams the instance's stream process holds open now."""
        return instance.open_streams()


def wait_healthy(instance: Instance, timeout: float = 90) -> None:
    """Wait until the instance's processes and its nginx answer /health with 200."""
    instance.wait_healthy(timeout)
