"""Hold many Server-Sent Events streams open: a small asyncio client in a process of its own.

`StreamHolder(url, streams).open()` spawns the process, which connects each stream (GET with
its player's session cookie, as a page's EventSource does, at most CONCURRENT connecting at
once), waits for its first event (a game stream starts with the game's state), and then keeps
reading whatever comes (the heartbeats, any event) so that nothing backs up. `open` returns
once every stream has its first event or failed; `close` closes them all and returns what the
process saw. Bounded: at most MAX_STREAMS streams, loopback only, and the process closes
everything itself after `max_seconds` even if nobody asks it to.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.suites.common.flood import loopback_only

MAX_STREAMS = 5000
CONCURRENT = 32  # streams connecting at once
FIRST_EVENT_TIMEOUT = 30.0  # seconds for a stream to answer with its first event


@dataclass
class StreamHolder:
    url: str  # the load balancer, http://127.0.0.1:<port>
    streams: list[tuple[str, str]]  # (path, Cookie header) per stream
    max_seconds: float = 300.0
    opened: dict[str, Any] = field(default_factory=dict)
    closed: dict[str, Any] | None = None
    _process: Any = None
    _pipe: Any = None

    def open(self) -> dict[str, Any]:
        """Open every stream; return how many answered, by status, and how fast."""
        where = loopback_only(self.url)
        if len(self.streams) > MAX_STREAMS:
            raise ValueError(f"at most {MAX_STREAMS} streams")
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(
            target=_main,
            args=(where.hostname, where.port, self.streams, theirs, self.max_seconds),
            daemon=True,
        )
        self._process.start()
        if not self._pipe.poll(FIRST_EVENT_TIMEOUT + 60 + len(self.streams) / 10):
            self.close()
            raise TimeoutError("the stream holder did not report its streams open")
        self.opened = self._pipe.recv()
        return self.opened

    def close(self) -> dict[str, Any]:
        """Close every stream; return what they received meanwhile (again if asked again)."""
        if self.closed is not None:
            return self.closed
        closed: dict[str, Any] = {}
        try:
            self._pipe.send("close")
            if self._pipe.poll(30):
                closed = self._pipe.recv()
        except (OSError, EOFError):
            pass
        self._process.join(10)
        if self._process.is_alive():  # our own child, by its handle
            self._process.kill()
            self._process.join(5)
        self.closed = closed
        return closed


@dataclass
class _Seen:
    statuses: Counter[str] = field(default_factory=Counter)
    first_event_ms: list[float] = field(default_factory=list)
    bytes: int = 0
    events: int = 0
    heartbeats: int = 0
    ended_by_server: int = 0


async def _stream(
    host: str,
    port: int,
    path: str,
    cookie: str,
    gate: asyncio.Semaphore,
    seen: _Seen,
    ready: asyncio.Event,
    writers: list[Any],
) -> None:
    async with gate:
        started = time.perf_counter()
        opened = await _open(host, port, path, cookie, seen, writers)
        if opened is None:
            return
        reader, buffer = opened
        seen.first_event_ms.append((time.perf_counter() - started) * 1000)
        seen.bytes += len(buffer)
    try:  # the first event is in: hold the stream, reading what comes
        while not ready.is_set():
            chunk = await reader.read(65536)
            if not chunk:
                seen.ended_by_server += not ready.is_set()
                return
            seen.bytes += len(chunk)
            seen.events += chunk.count(b"event: ")
            seen.heartbeats += chunk.count(b": keep-alive")
    except OSError:
        seen.ended_by_server += not ready.is_set()


async def _open(
    host: str, port: int, path: str, cookie: str, seen: _Seen, writers: list[Any]
) -> tuple[asyncio.StreamReader, bytes] | None:
    """Open the stream and read up to its first event; None (and why, in `seen`) if it fails."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as err:
        seen.statuses[type(err).__name__] += 1
        return None
    writers.append(writer)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Cache-Control: no-cache\r\nCookie: {cookie}\r\n\r\n".encode()
    )
    try:
        async with asyncio.timeout(FIRST_EVENT_TIMEOUT):
            buffer = await _read_until(reader, b"", lambda b: b"\r\n\r\n" in b, "the headers")
            status = buffer.split(b" ", 2)[1].decode()
            seen.statuses[status] += 1
            if status != "200":
                writer.close()
                return None
            return reader, await _read_until(reader, buffer, _first_event, "the first event")
    except (TimeoutError, ConnectionError, OSError) as err:
        seen.statuses[type(err).__name__] += 1
        writer.close()
        return None


async def _read_until(
    reader: asyncio.StreamReader, buffer: bytes, done: Callable[[bytes], bool], what: str
) -> bytes:
    while not done(buffer):
        chunk = await reader.read(65536)
        if not chunk:
            raise ConnectionError(f"closed before {what}")
        buffer += chunk
    return buffer


def _first_event(buffer: bytes) -> bool:
    """Return True once `buffer` holds the whole of the stream's first `event: game`."""
    at = buffer.find(b"event: game")
    return at >= 0 and b"}\n\n" in buffer[at:]


async def _hold(
    host: str, port: int, streams: list[tuple[str, str]], pipe: Any, max_seconds: float
) -> None:
    seen, gate, done, writers = _Seen(), asyncio.Semaphore(CONCURRENT), asyncio.Event(), []
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    tasks = [
        asyncio.create_task(_stream(host, port, path, cookie, gate, seen, done, writers))
        for path, cookie in streams
    ]
    while sum(seen.statuses.values()) < len(streams) and not all(t.done() for t in tasks):
        await asyncio.sleep(0.05)
        if time.perf_counter() - started > max_seconds:
            break
    took = time.perf_counter() - started
    pipe.send(_opened(seen, len(streams), took))
    left = max(0.0, max_seconds - (time.perf_counter() - started))
    asked = loop.run_in_executor(None, pipe.poll, left)
    await asked  # "close", or the time is up
    held = time.perf_counter() - started - took
    done.set()
    for writer in writers:
        writer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(
        {
            "held_seconds": held,
            "bytes": seen.bytes,
            "events": seen.events,
            "heartbeats": seen.heartbeats,
            "ended_by_server": seen.ended_by_server,
        }
    )


def _opened(seen: _Seen, asked: int, took: float) -> dict[str, Any]:
    """How many streams opened, how they were answered, how soon their first event came."""
    firsts = sorted(seen.first_event_ms)
    return {
        "asked": asked,
        "open": len(firsts),
        "statuses": dict(seen.statuses),
        "seconds": took,
        "first_event_p50_ms": statistics.median(firsts) if firsts else None,
        "first_event_max_ms": firsts[-1] if firsts else None,
    }


def _main(
    host: str, port: int, streams: list[tuple[str, str]], pipe: Any, max_seconds: float
) -> None:
    asyncio.run(_hold(host, port, streams, pipe, max_seconds))
