"""devstack's Stack runs a git ref from a worktree of its own, routes as a load balancer does,
and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from devstack import processes
from devstack.stack import Stack
from tests.support import ROOT

pytestmark = pytest.mark.stack


def test_a_stack_on_a_git_ref_serves_that_checkout_and_removes_it(tmp_path: Path) -> None:
    # Read as the stack checks it out: others may commit while it starts and moves HEAD on.
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True)
    stack = Stack(tmp_path, push=False, ref="HEAD")
    with stack:
        (instance,) = stack.instances
        checkout = instance.app_dir
        assert checkout != ROOT and (checkout / "Procfile").is_file()
        there = subprocess.run(["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True)
        assert there.stdout == head.stdout
        for proc in (instance.web, instance.stream):  # both processes run that tree's code
            assert proc is not None
            assert Path(os.readlink(f"/proc/{proc.pid}/cwd")) == checkout
        with urllib.request.urlopen(f"{stack.url}/static/style.css", timeout=5) as response:
            served = response.read()  # by the instance's nginx, from the checkout's folder
        assert served == (checkout / "tictactoe" / "static" / "style.css").read_bytes()
        ports = [instance.web_port, instance.stream_port, stack.port, stack.dynamodb_port]
    assert not checkout.exists()
    listed = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True)
    assert str(checkout) not in listed.stdout
    assert not [port for port in ports if processes.listening(port)]


def test_routing_sends_new_requests_to_the_instances_named_only(tmp_path: Path) -> None:
    with Stack(tmp_path, count=2, push=False) as stack:
        first, second = stack.instances
        for _ in range(4):  # round-robin: both instances answer
            urllib.request.urlopen(f"{stack.url}/health", timeout=5).close()
        assert {hit.upstream for hit in stack.hits()} == {first.addr, second.addr}
        stack.route([second])  # as deregistering the first does
        before = len(stack.hits())
        for _ in range(4):
            urllib.request.urlopen(f"{stack.url}/health", timeout=5).close()
        assert {hit.upstream for hit in stack.hits()[before:]} == {second.addr}
