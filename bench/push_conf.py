"""gunicorn settings for the push benchmark only: every worker's DynamoDB calls, live.

Loaded with `--config` by bench/push_stack.py into both processes of every instance (the
Procfile's `web:` gthread workers and its `stream:` gevent worker). Each worker hooks the
same capacity recorder as bench/gunicorn_conf.py on its one DynamoDB client (the
backend's, which every store, the limits, the request log and the push hub share), so it
counts every call the worker makes once it has booted: the web requests, and also what
the stream process does outside requests (the hub's read of a game per notice, the
session re-check of an open stream). Unlike bench/gunicorn_conf.py it does not wait for
the worker to exit: a thread (a greenlet in the gevent worker) writes the running totals
to BENCH_CALLS_DIR/live-<label>-<pid>.json whenever they changed, at most every
WRITE_EVERY seconds, so that the benchmark can read them before and after a window while
the stack runs. It changes no request, and imports nothing of the app in the master.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.capacity import Recorder

WRITE_EVERY = 0.25  # seconds; a reader waits a little longer than this before it reads

_recorder: Recorder | None = None


def post_worker_init(worker: Any) -> None:
    # Imported here, in the worker: the gevent worker patches the standard library as it
    # starts, and anything of the app imported by the master before that (ssl, through
    # botocore) would break it.
    from bench.capacity import Recorder

    global _recorder
    _recorder = Recorder.install(worker.wsgi.extensions["tictactoe"].dynamodb)
    threading.Thread(target=_keep_writing, args=(_recorder, _out()), daemon=True).start()


def worker_exit(server: Any, worker: Any) -> None:
    if _recorder is not None and worker.pid == os.getpid():
        _write(_recorder, _out())


def _out() -> Path:
    label = os.environ["BENCH_LABEL"]  # <mode>-<instance>-<web|stream>
    return Path(os.environ["BENCH_CALLS_DIR"]) / f"live-{label}-{os.getpid()}.json"


def _keep_writing(recorder: Recorder, out: Path) -> None:
    last = None
    while True:
        counted = _totals(recorder)
        if counted != last:
            _write(recorder, out, counted)
            last = counted
        time.sleep(WRITE_EVERY)


def _totals(recorder: Recorder) -> dict[str, Any]:
    """Everything the worker's client did: per request type ("outside": no request)."""
    snapshot = recorder.snapshot()
    return {
        "by_type": snapshot["by_type"],
        "by_operation": snapshot["by_operation"],
        "seconds": snapshot["seconds"],
    }


def _write(recorder: Recorder, out: Path, counted: dict[str, Any] | None = None) -> None:
    counted = counted if counted is not None else _totals(recorder)
    partial = out.with_suffix(".tmp")
    partial.write_text(json.dumps(counted))
    partial.replace(out)  # a reader never sees half a file
