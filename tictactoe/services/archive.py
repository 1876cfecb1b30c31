"""`python -m tictactoe export FILE` and `import FILE`: backups, restores and moves.

Export reads every table with a parallel scan (one thread per segment, all segments of all
tables sharing one token bucket of read units) and, with --pictures, every object in the
picture bucket. Reads are eventually consistent unless --consistent-read: a scan of a live
table is no snapshot either way (it reads items at different moments), so for a cut-over
the app is made read-only first, and for a point-in-time copy there is PITR.

Import checks the whole archive first, creates missing tables and the bucket, then writes
each line with a conditional write (store/archive.py decides what "newer" is), several at
once, under a token bucket of write units. It records its progress next to the archive,
so an import run again after an interruption skips what was done and counts nothing twice.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from tqdm import tqdm

from tictactoe.adapters import archive_bucket
from tictactoe.adapters.archive_file import (
    ROLES,
    Progress,
    check,
    decode,
    line,
    writing,
)
from tictactoe.config import Settings
from tictactoe.services.backend import Backend
from tictactoe.services.pacing import TokenBucket
from tictactoe.services.pictures import OBJECT_PREFIX
from tictactoe.services.restore import ImportStopped, Written, write_lines
from tictactoe.store import archive as store
from tictactoe.store import definitions, ensure_tables

__all__ = ["ImportStopped", "export", "import_archive", "progress_path", "tables"]


def tables(settings: Settings) -> dict[str, str]:
    """Return each table role's name in `settings`."""
    return {
        "games": settings.games_table,
        "users": settings.users_table,
        "avatars": settings.avatars_table,
    }


def _keys(settings: Settings) -> dict[str, str]:
    """Return each role's partition key attribute, from the table definitions."""
    by_name = {d["TableName"]: d["KeySchema"][0]["AttributeName"] for d in definitions(settings)}
    return {role: by_name[name] for role, name in tables(settings).items()}


@contextmanager
def _bar(total: int | None, unit: str) -> Iterator[tqdm[NoReturn]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    # tqdm[NoReturn]: a bar moved by update(), not one that iterates over anything.
    with tqdm(total=total, unit=unit, disable=None, dynamic_ncols=True) as bar:
        yield bar


# -- export -------------------------------------------------------------------------------


def export(
    backend: Backend,
    path: Path,
    reads: TokenBucket,
    pictures: bool = False,
    segments: int = 4,
    consistent: bool = False,
) -> dict[str, Any]:
    """Write every item of every table (and with `pictures` every object) to `path`; return
    the counts written."""
    names = tables(backend.settings)
    estimate = sum(store.item_count(backend.dynamodb, n) for n in names.values())
    counts = dict.fromkeys(ROLES, 0)
    lock, stop = threading.Lock(), threading.Event()
    with writing(path) as out, _bar(estimate, "item") as bar:
        out.write(line(_header(backend.settings, pictures, consistent)))

        def segment(role: str, number: int) -> None:
            where = (number, segments)
            if stop.is_set():
                return
            for page in store.scan(backend.dynamodb, names[role], where, consistent, reads.wait):
                reads.spend(page.consumed)
                text = "".join(line({"table": role, "item": i}) for i in page.items)
                with lock:
                    out.write(text)
                    counts[role] += len(page.items)
                    bar.update(len(page.items))
                if stop.is_set():
                    return

        _all(segments, [partial(segment, r, n) for r in ROLES for n in range(segments)], stop)
        objects = _export_pictures(backend, out, segments) if pictures else 0
        out.write(line({"end": {"items": counts, "objects": objects}}))
    return {"items": counts, "objects": objects, "read_units": reads.spent}


def _header(settings: Settings, pictures: bool, consistent: bool) -> dict[str, Any]:
    return {
        "format": "tictactoe-archive",
        "version": 1,
        "id": uuid.uuid4().hex,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": {
            "region": settings.region,
            "endpoint": settings.endpoint,
            "tables": tables(settings),
            "bucket": settings.bucket,
        },
        "pictures": pictures,
        "consistent_read": consistent,
    }


def _all(workers: int, jobs: list[Callable[[], None]], stop: threading.Event) -> None:
    """Run `jobs` on `workers` threads; on the first failure tell the rest to stop, raise it."""
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            for future in futures:
                future.result()
        finally:
            stop.set()
            for future in futures:
                future.cancel()  # those not started yet


def _export_pictures(backend: Backend, out: Any, workers: int) -> int:
    bucket, owner = backend.settings.bucket, backend.bucket.owner.account()
    keys = list(archive_bucket.object_keys(backend.s3, bucket, owner, OBJECT_PREFIX))
    written = 0
    with _bar(len(keys), "picture") as bar, ThreadPoolExecutor(workers) as pool:
        found = pool.map(lambda k: (k, backend.bucket.get(k)), keys)
        for key, stored in found:
            bar.update(1)
            if stored is None:  # replaced and deleted since the listing
                continue
            out.write(
                line(
                    {
                        "object": key,
                        "content_type": stored.content_type,
                        "body": base64.b64encode(stored.body).decode("ascii"),
                    }
                )
            )
            written += 1
    return written


# -- import -------------------------------------------------------------------------------


def progress_path(path: Path) -> Path:
    return path.with_name(path.name + ".progress")


def import_archive(
    backend: Backend, path: Path, writes: TokenBucket, workers: int = 4
) -> tuple[Progress, bool]:
    """Write the archive at `path` into the configured tables and bucket; return the
    outcomes (of this and any earlier, interrupted run) and whether it resumed.

    Raise ArchiveError (nothing written) for an archive that is not whole, ImportStopped
    when a write fails part-way (run it again to resume).
    """
    settings = backend.settings
    contents = check(path, _keys(settings))
    ensure_tables(backend.dynamodb, settings)
    if contents.objects:
        backend.bucket.ensure_bucket()
    target = repr((settings.region, settings.endpoint, tables(settings), settings.bucket))
    progress, resumed = Progress.load(progress_path(path), contents.header["id"], target)
    owner = backend.bucket.owner.account() if contents.objects else ""
    write = _writer(backend, writes, owner)
    with _bar(contents.lines, "line") as bar:
        bar.update(progress.done + len(progress.also_done))
        write_lines(path, contents, progress, write, workers, bar)
    progress.path.unlink(missing_ok=True)
    return progress, resumed


def _writer(backend: Backend, writes: TokenBucket, owner: str) -> Callable[[Any], Written]:
    """Return what writes one archive line."""
    names, keys, settings = tables(backend.settings), _keys(backend.settings), backend.settings

    def write(record: dict[str, Any]) -> Written:
        if "table" in record:
            role, item = record["table"], decode(record["item"])
            writes.wait()
            outcome, units = store.put_unless_newer(
                backend.dynamodb, names[role], keys[role], store.VERSIONS[role], item
            )
            writes.spend(units)
            kept = outcome in (store.Outcome.NEWER, store.Outcome.DIFFERENT)
            return role, outcome.value, _describe(item, keys[role]) if kept else ""
        stored = archive_bucket.put_object_if_absent(
            backend.s3,
            settings.bucket,
            owner,
            record["object"],
            base64.b64decode(record["body"]),
            record.get("content_type") or "",
        )
        return "pictures", (store.Outcome.WRITTEN if stored else store.Outcome.PRESENT).value, ""

    return write


def _describe(item: dict[str, Any], key: str) -> str:
    value = item[key]
    return str(next(iter(value.values())))
