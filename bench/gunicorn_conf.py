"""gunicorn settings for the benchmark only: count each worker's DynamoDB calls.

The recorder counts calls per request type. It changes no request: the app itself asks
DynamoDB for ReturnConsumedCapacity on every call (its request log reports it), so the timed
runs measure the app as it is deployed. Each worker writes
its counts, and the time it waited for each kind of call, to BENCH_CALLS_DIR when it exits.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bench.capacity import Recorder

_recorder: Recorder | None = None


def post_worker_init(worker: Any) -> None:
    global _recorder
    _recorder = Recorder.install(worker.wsgi.extensions["tictactoe"].dynamodb)


def worker_exit(server: Any, worker: Any) -> None:
    if _recorder is None or worker.pid != os.getpid():
        return  # the master reaping a worker that is already gone
    out = Path(os.environ["BENCH_CALLS_DIR"]) / f"worker-{os.getpid()}.json"
    counted = _recorder.snapshot()
    out.write_text(json.dumps({"calls": counted["by_operation"], "seconds": counted["seconds"]}))
