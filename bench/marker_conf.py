"""gunicorn settings that name each request for the profiler: devstack/hooks.py with
DEVSTACK_MARK=1, which bench/sides.py sets for both sides' processes."""

from __future__ import annotations

from devstack.hooks import KINDS, Marked, Stream, events_stream, kind_of, post_worker_init

__all__ = ["KINDS", "Marked", "Stream", "events_stream", "kind_of", "post_worker_init"]
