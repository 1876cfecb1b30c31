"""Import's writing: every archive line not done yet, several at once, progress saved as it goes.

An import that stops part-way (a failed write, Ctrl-C) saves what it did first, so the same
command run again skips those lines and counts nothing twice (archive.py runs this).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, NoReturn

from tqdm import tqdm

from tictactoe.adapters.archive_file import Contents, Progress, records
from tictactoe.store import StoreError

_SAVE_EVERY = 100  # lines between checkpoints (and one when the import stops)

Written = tuple[str, str, str]  # what was written (a role, or pictures), the outcome, and
# the item's key when the table's copy stayed ("" otherwise)


class ImportStopped(StoreError):
    """An import stopped part-way; its progress is saved, and running it again resumes."""


def write_lines(
    path: Path,
    contents: Contents,
    progress: Progress,
    write: Callable[[Any], Written],
    workers: int,
    bar: tqdm[NoReturn],
) -> None:
    """Write every line not done yet, `workers` at a time, saving progress as it goes."""
    pending: dict[Future[Written], int] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(workers) as pool:
        try:
            for number, record in _lines(path):
                if progress.is_done(number):
                    continue
                pending[pool.submit(write, record)] = number
                if len(pending) >= workers * 4:
                    _collect(pending, progress, bar, FIRST_COMPLETED)
        except BaseException as err:  # a failed write, or Ctrl-C: save what is done first
            failure = err
        try:
            _collect(pending, progress, bar, "ALL_COMPLETED")
        except BaseException as err:
            failure = failure or err
    progress.save()
    if failure is not None:
        if isinstance(failure, StoreError | KeyboardInterrupt):
            done = progress.done + len(progress.also_done)
            raise ImportStopped(
                f"stopped after {done} of {contents.lines} lines ({failure}); "
                "run the same command again to resume"
            ) from failure
        raise failure


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) of each item and object; the header is line 0."""
    for number, record in enumerate(records(path)):
        if number and "end" not in record:
            yield number, record


def _collect(
    pending: dict[Future[Written], int], progress: Progress, bar: tqdm[NoReturn], until: str
) -> None:
    """Wait for some (or all) pending writes and record them; raise the first failure."""
    finished, _ = wait(list(pending), return_when=until)
    failure: BaseException | None = None
    for future in finished:
        number = pending.pop(future)
        error = future.exception()
        if error is not None:
            failure = failure or error
            continue
        kind, outcome, key = future.result()
        progress.count(kind, outcome)
        if key and len(progress.kept) < 100:
            progress.kept.append(f"{kind} {key}: {outcome}")
        progress.finished(number)
        bar.update(1)
        if (progress.done + len(progress.also_done)) % _SAVE_EVERY == 0:
            progress.save()
    if failure is not None:
        raise failure
