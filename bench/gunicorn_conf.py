"""gunicorn settings that count each worker's DynamoDB calls: devstack/hooks.py, which the
stack loads itself (bench/stack.py sets DEVSTACK_CALLS_DIR and DEVSTACK_RECORDER). Kept so
that `--config bench/gunicorn_conf.py` still works; the hooks run only as the environment asks.
"""

from __future__ import annotations

from devstack.hooks import post_worker_init, worker_exit

__all__ = ["post_worker_init", "worker_exit"]
