"""What export and import cost: `python -m bench.archive [items]`, on DynamoDB Local.

Fills a Games table of a fresh DynamoDB Local with `items` finished games (about the size the
app writes), then exports it at full speed and again under --max-rcu-per-second, and
imports it into empty tables, then once more (every item already there). Prints time,
items a second, the units DynamoDB Local reported, and the process's peak memory. S3 is
not measured: pictures are a few hundred bytes each and go one request apiece.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from devstack import dynamodb_local, processes
from tictactoe.config import Settings
from tictactoe.services.archive import export, import_archive
from tictactoe.services.backend import build
from tictactoe.services.pacing import TokenBucket
from tictactoe.store import ensure_tables


def game(number: int) -> dict[str, Any]:
    s = lambda v: {"S": v}  # noqa: E731
    return {
        "GameId": s(f"g{number:08d}"),
        "HostId": s(f"host{number % 997}"),
        "OpponentId": s(f"opp{number % 991}"),
        "Status": s("FINISHED"),
        "StatusDate": s("FINISHED_2026-11-29T12:00:00.000000Z"),
        "Board": s("XXXOO----"),
        "FinalBoard": s("XXXOO----"),
        "Winner": s(f"host{number % 997}"),
        "CreatedAt": s("2026-11-29T11:58:00.000000Z"),
        "UpdatedAt": s("2026-11-29T12:00:00Z"),
        "Version": {"N": "7"},
        "XIsHost": {"BOOL": True},
        "Moves": {"L": [{"N": str(c)} for c in (0, 3, 1, 4, 2)]},
    }


def fill(settings: Settings, items: int) -> None:
    client = build(settings).dynamodb
    ensure_tables(client, settings)
    for start in range(0, items, 25):
        batch = [{"PutRequest": {"Item": game(n)}} for n in range(start, min(start + 25, items))]
        pending = {settings.games_table: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})


def timed(job: Any, *args: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    result = job(*args)
    seconds = time.perf_counter() - began
    print(f"{job.__name__}: {seconds:.1f} s", file=sys.stderr)
    return result, seconds


def run(items: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        port = processes.free_port()
        db = dynamodb_local.start(port, home / "data", home / "dynamodb.log")
        try:
            url = f"http://127.0.0.1:{port}"
            source = Settings(region="us-west-2", endpoint=url, secret_key="x")
            timed(fill, source, items)
            archive, figures = home / "games.jsonl.gz", {"items": items}
            reads = TokenBucket(1e9)
            _, seconds = timed(export, build(source), archive, reads)
            figures["export"] = {
                "seconds": seconds,
                "read_units": reads.spent,
                "bytes": archive.stat().st_size,
            }
            paced = TokenBucket(20)
            _, seconds = timed(export, build(source), archive, paced)
            figures["export_at_20_rcu"] = {
                "seconds": seconds,
                "read_units": paced.spent,
                "rcu_per_second": paced.spent / seconds,
            }
            target = replace(
                source, games_table="Games2", users_table="Users2", avatars_table="Avatars2"
            )
            for run_name in ("import", "import_again"):
                writes = TokenBucket(1e9)
                _, seconds = timed(import_archive, build(target), archive, writes)
                figures[run_name] = {"seconds": seconds, "write_units": writes.spent}
        finally:
            processes.stop(db)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000), indent=2))
