"""gunicorn settings for the push benchmark: every worker's DynamoDB calls, written live
(devstack/hooks.py, which the stack loads itself; bench/push_stack.py sets what it counts)."""

from __future__ import annotations

from devstack.hooks import WRITE_EVERY, post_worker_init, worker_exit

__all__ = ["WRITE_EVERY", "post_worker_init", "worker_exit"]
