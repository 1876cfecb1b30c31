"""The archive of export and import: JSON Lines, gzip when the name ends in .gz.

Line 1 is the header: {"format": "tictactoe-archive", "version": 1, "id", "created",
"source": {...}}. Then one line per table item, {"table": role, "item": DynamoDB JSON},
where role is games, users or avatars (not the table's name, so an archive imports into
tables named otherwise) and binary values are base64 as in DynamoDB's own JSON; and one per
picture object, {"object": key, "content_type", "body": base64}. The last line counts what
came before it, {"end": {"items": {role: n}, "objects": n}}, so an archive cut short is
refused before anything is written. Export writes `FILE.partial` and renames it when done.

The progress file of an import, `FILE.progress`, is a checkpoint: the archive's id, the
target, the lines done and the outcomes so far. A resumed import skips the lines done.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

FORMAT = "tictactoe-archive"
VERSION = 1
ROLES = ("games", "users", "avatars")
_TYPES = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"}


class ArchiveError(Exception):
    """The archive is not one this version can read, or it is incomplete."""


def encode(value: Any) -> Any:
    """Return a DynamoDB value (as boto3's client gives it) as plain JSON: bytes in base64."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def decode(item: dict[str, Any]) -> dict[str, Any]:
    """Return an item `encode` made plain, with its binary values as bytes again."""
    return {name: _typed(value) for name, value in item.items()}


def _typed(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {kind: base64.b64decode(inner)}
    if kind == "BS":
        return {kind: [base64.b64decode(v) for v in inner]}
    if kind == "M":
        return {kind: decode(inner)}
    if kind == "L":
        return {kind: [_typed(v) for v in inner]}
    return value


def _open(path: Path, mode: Literal["rt", "wt"], gz: bool) -> IO[str]:
    if gz:
        return gzip.open(path, mode, encoding="utf-8", compresslevel=6)
    return path.open(mode, encoding="utf-8")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


@contextmanager
def writing(path: Path) -> Iterator[IO[str]]:
    """Write the archive at `path` whole or not at all (under a temporary name meanwhile)."""
    partial = path.with_name(path.name + ".partial")
    try:
        with _open(partial, "wt", gz=path.name.endswith(".gz")) as out:
            yield out
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def line(record: dict[str, Any]) -> str:
    return json.dumps(encode(record), separators=(",", ":"), ensure_ascii=False) + "\n"


def records(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the archive's lines as dicts, refusing a line that is not a JSON object."""
    try:
        with _open(path, "rt", gz=_is_gzip(path)) as f:
            for number, text in enumerate(f, start=1):
                try:
                    record = json.loads(text)
                except ValueError:
                    raise ArchiveError(f"{path}: line {number} is not JSON") from None
                if not isinstance(record, dict):
                    raise ArchiveError(f"{path}: line {number} is not a JSON object")
                yield record
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise ArchiveError(f"{path}: cannot read the archive ({err})") from err


@dataclass
class Contents:
    header: dict[str, Any]
    lines: int  # items and objects, without header and end
    items: dict[str, int]
    objects: int


def check(path: Path, keys: dict[str, str] | None = None) -> Contents:
    """Read the whole archive once: the header is ours, every line known and well formed
    (each item has its table's key attribute, named in `keys` by role), the end there."""
    found = Contents({}, 0, dict.fromkeys(ROLES, 0), 0)
    end: dict[str, Any] | None = None
    for number, record in enumerate(records(path), start=1):
        where = f"{path}: line {number}"
        if number == 1:
            found.header = _header(path, record)
        elif end is not None:
            raise ArchiveError(f"{where} comes after the end line")
        elif "end" in record:
            end = record["end"]
        elif record.get("table") in ROLES and isinstance(record.get("item"), dict):
            _check_item(where, record["table"], record["item"], (keys or {}).get(record["table"]))
            found.items[record["table"]] += 1
            found.lines += 1
        elif isinstance(record.get("object"), str) and _is_base64(record.get("body")):
            found.objects += 1
            found.lines += 1
        else:
            raise ArchiveError(
                f"{where} is neither a table item nor a picture "
                f"(table must be one of {', '.join(ROLES)})"
            )
    if end != {"items": found.items, "objects": found.objects}:
        raise ArchiveError(
            f"{path}: the archive is incomplete (no end line, or its counts "
            "differ from the lines): export it again"
        )
    return found


def _header(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    if record.get("format") != FORMAT or not isinstance(record.get("id"), str):
        raise ArchiveError(f"{path}: not an archive of python -m tictactoe export")
    if record.get("version") != VERSION:
        raise ArchiveError(
            f"{path}: archive format version {record.get('version')}; this version reads {VERSION}"
        )
    return record


def _check_item(where: str, role: str, item: dict[str, Any], key: str | None) -> None:
    typed = all(
        isinstance(v, dict) and len(v) == 1 and next(iter(v)) in _TYPES for v in item.values()
    )
    if not typed:
        raise ArchiveError(f"{where}: the {role} item is not in DynamoDB's JSON")
    if key and not isinstance(item.get(key, {}).get("S"), str):
        raise ArchiveError(f"{where}: the {role} item has no key ({key})")


def _is_base64(value: Any) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (TypeError, ValueError):
        return False
    return True


@dataclass
class Progress:
    """How far an import of one archive into one target got."""

    path: Path
    archive: str
    target: str
    done: int = 0  # every line up to this one is done
    also_done: set[int] = field(default_factory=set)  # and these after it
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> outcome -> n
    kept: list[str] = field(default_factory=list)  # items whose stored copy stayed

    @classmethod
    def load(cls, path: Path, archive: str, target: str) -> tuple[Progress, bool]:
        """Return the saved progress of this archive into this target (and True), or a fresh
        one (and False)."""
        try:
            saved = json.loads(path.read_text())
            if saved["archive"] == archive and saved["target"] == target:
                return cls(
                    path,
                    archive,
                    target,
                    int(saved["done"]),
                    set(saved["also_done"]),
                    saved["outcomes"],
                    saved["kept"],
                ), True
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return cls(path, archive, target), False

    def finished(self, number: int) -> None:
        """Record that line `number` is done."""
        self.also_done.add(number)
        while self.done + 1 in self.also_done:
            self.done += 1
            self.also_done.discard(self.done)

    def is_done(self, number: int) -> bool:
        return number <= self.done or number in self.also_done

    def count(self, kind: str, outcome: str) -> None:
        per_kind = self.outcomes.setdefault(kind, {})
        per_kind[outcome] = per_kind.get(outcome, 0) + 1

    def save(self) -> None:
        """Write the checkpoint atomically: a crash leaves the old one or the new one."""
        saved = {
            "archive": self.archive,
            "target": self.target,
            "done": self.done,
            "also_done": sorted(self.also_done),
            "outcomes": self.outcomes,
            "kept": self.kept,
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(saved))
        os.replace(temporary, self.path)
