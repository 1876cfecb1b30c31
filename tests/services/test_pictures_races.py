"""Two tabs uploading the same picture and a removal, interleaved in every order.

Each operation runs in a thread of its own and stops at its steps: before it starts (it then
reads the record and stores its objects), before its conditional write of the record, and
before its after-write (the Users pointer and the discard of what it replaced). A schedule
says whose step runs next, so every order of those steps is tried, deterministically: 1,680
orders, from no picture and from a record of before upload ids. Afterwards the record names
objects that exist, the Users pointer agrees with it, and nothing is left over.

The 3,360 runs use small in-memory stores with the same conditional semantics as the real
ones (whose conditions tests/store/test_pictures.py checks on moto and on DynamoDB Local);
a sample of orders also runs on moto's DynamoDB and S3 through the real stores.
"""

from __future__ import annotations

import functools
import io
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image

from tictactoe.adapters import pillow
from tictactoe.rules.names import skeleton
from tictactoe.services import pictures
from tictactoe.services.backend import Backend
from tictactoe.store import PictureRecord, PictureRejected, StoredSize

PLAYER = "Tabby"
OPERATIONS = ("upload A", "upload B", "removal")
STEPS = 3  # start, conditional write, after-write
LEGACY = "c" * 64  # a picture stored before uploads had ids: keys of the content hash alone


class Turns:
    """Run each operation's thread one step at a time, in the order a schedule gives."""

    def __init__(self) -> None:
        self.go = {name: threading.Semaphore(0) for name in OPERATIONS}
        self.parked = threading.Semaphore(0)
        self.finished: set[str] = set()
        self.errors: list[BaseException] = []

    def pause(self) -> None:
        """Called by an operation's thread: wait here until the schedule says go."""
        self.parked.release()
        self.go[threading.current_thread().name].acquire()

    def run(self, work: dict[str, Callable[[], Any]], order: tuple[str, ...]) -> None:
        threads = [threading.Thread(target=self._body, args=(f,), name=n) for n, f in work.items()]
        for thread in threads:
            thread.start()
            self.parked.acquire()  # parked at its start
        rest = [name for _ in range(2 * STEPS) for name in OPERATIONS]  # retries, if any
        for name in (*order, *rest):
            if name not in self.finished:
                self.go[name].release()
                self.parked.acquire()
        for thread in threads:
            thread.join()
        assert self.finished == set(OPERATIONS), "an operation took more steps than allowed"

    def _body(self, work: Callable[[], Any]) -> None:
        self.pause()
        try:
            work()
        except BaseException as err:  # reported by the test, not lost in the thread
            self.errors.append(err)
        self.finished.add(threading.current_thread().name)
        self.parked.release()


class Paused:
    """A store whose named methods first wait for their turn."""

    def __init__(self, store: Any, turns: Turns, methods: set[str]) -> None:
        self._store, self._turns, self._methods = store, turns, methods

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name not in self._methods:
            return found

        def paused(*args: Any, **kwargs: Any) -> Any:
            self._turns.pause()
            return found(*args, **kwargs)

        return paused


class MemoryAvatars:
    """The Avatars table's semantics: writes land only on the picture they name."""

    def __init__(self) -> None:
        self.records: dict[str, PictureRecord] = {}

    def get(self, name: str, consistent: bool = False) -> PictureRecord | None:
        return self.records.get(name.lower())

    def put(self, record: PictureRecord, replacing: str | None) -> None:
        current = self.records.get(record.username.lower())
        if (current.picture_id if current else None) != replacing:
            raise PictureRejected(current)
        self.records[record.username.lower()] = record

    def delete(self, name: str, replacing: str) -> None:
        current = self.records.get(name.lower())
        if current is None or current.picture_id != replacing:
            raise PictureRejected(current)
        del self.records[name.lower()]


class MemoryObjects:
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.stored[key] = body

    def delete(self, keys: Any) -> None:
        for key in keys:
            self.stored.pop(key, None)


class MemoryUsers:
    def __init__(self) -> None:
        self.pointers: dict[str, str | None] = {}

    def set_picture(self, name: str, digest: str | None) -> None:
        self.pointers[name.lower()] = digest


def orders(counts: dict[str, int]) -> Iterator[tuple[str, ...]]:
    """Every distinct order of the operations' steps (a multiset permutation)."""
    if not any(counts.values()):
        yield ()
        return
    for name in OPERATIONS:
        if counts[name]:
            for rest in orders({**counts, name: counts[name] - 1}):
                yield (name, *rest)


def legacy_record() -> PictureRecord:
    return PictureRecord(
        username=PLAYER,
        content_hash=LEGACY,
        content_type="image/webp",
        width=10,
        height=10,
        source_format="PNG",
        uploaded_at="2026-01-01T00:00:00.000000Z",
        objects=tuple(
            StoredSize(size, f"avatars/{PLAYER.lower()}/{LEGACY}/{size}", 1) for size in (256, 64)
        ),
    )


@pytest.fixture
def same_picture(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """One small picture, both tabs upload it; decoded once (the decode is not under test)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    monkeypatch.setattr(pictures.pillow, "process", functools.cache(pillow.process))
    return out.getvalue()


def interleave(stores: tuple[Any, Any, Any], order: tuple[str, ...], picture: bytes) -> None:
    """Run two uploads of `picture` and a removal in `order`; fail if any of them failed."""
    turns = Turns()
    table = Paused(stores[0], turns, {"put", "delete"})
    users = Paused(stores[2], turns, {"set_picture"})
    upload = functools.partial(pictures.set_picture, table, stores[1], users, PLAYER, picture)
    removal = functools.partial(pictures.remove_picture, table, stores[1], users, PLAYER)
    turns.run({"upload A": upload, "upload B": upload, "removal": removal}, order)
    assert not turns.errors, f"{order}: {turns.errors}"


def check(record: PictureRecord | None, pointer: str | None, objects: set[str], order: Any) -> None:
    named = set(record.keys) if record else set()
    assert named <= objects, f"{order}: the record names missing objects {named - objects}"
    assert pointer == (record.picture_id if record else None), f"{order}: a stale pointer"
    assert objects == named, f"{order}: objects left over {objects - named}"


@pytest.mark.parametrize("start", ["no picture", "a picture from before upload ids"])
def test_every_order_of_two_uploads_and_a_removal_leaves_a_sound_record(
    same_picture: bytes, start: str
) -> None:
    tried = 0
    for order in orders(dict.fromkeys(OPERATIONS, STEPS)):
        table, objects, users = MemoryAvatars(), MemoryObjects(), MemoryUsers()
        if start != "no picture":
            table.records[PLAYER.lower()] = legacy_record()
            objects.stored.update(dict.fromkeys(legacy_record().keys, b"old"))
            users.pointers[PLAYER.lower()] = LEGACY
        interleave((table, objects, users), order, same_picture)
        record = table.get(PLAYER)
        check(record, users.pointers.get(PLAYER.lower()), set(objects.stored), order)
        tried += 1
    assert tried == 1680


def test_a_sample_of_orders_on_the_real_stores(backend: Backend, same_picture: bytes) -> None:
    every = list(orders(dict.fromkeys(OPERATIONS, STEPS)))
    backend.users.create(PLAYER, "a password hash", skeleton(PLAYER))
    for order in random.Random(10).sample(every, 8):  # each starts where the last one ended
        interleave((backend.pictures, backend.bucket, backend.users), order, same_picture)
        record = backend.pictures.get(PLAYER, consistent=True)
        listed = backend.s3.list_objects_v2(Bucket=backend.settings.bucket)
        objects = {o["Key"] for o in listed.get("Contents", [])}
        user = backend.users.get(PLAYER)
        check(record, user.picture if user else None, objects, order)
