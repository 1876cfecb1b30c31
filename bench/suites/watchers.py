"""Push traffic that follows the watchers (issue 27, item 4): what each stream process hears.

Eight stream processes (a Hub and its Bus each, as each instance's stream process holds one)
on a redis-server of the suite's own, 2,000 games spread over them: each game's two players
have its page open on an instance drawn at random, so an instance watches about a quarter of
the games. A web worker's Bus then publishes CHANGES changes of every game, in chunks, each
chunk waited for before the next (the sender's queue holds WAITING notices). Counted per
process: the messages its connection received, against the games it watches; foreign ones
(a game none of its streams watches) must be none, and every stream must get every change.
Twice: as the next release runs (sharded channels only), and as this one runs during its
overlap with the old single channel, whose copies every process still receives (the figure
before this change: every process hears every notice).

`python -m bench --only watchers` runs it alone, in about 10 s.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.harness.context import Context
from bench.harness.rows import Row
from devstack import processes, redis_server
from tictactoe.adapters.bus import CHANNEL, Bus
from tictactoe.rules import notices
from tictactoe.rules.board import Game
from tictactoe.services.hub import Event, Hub, Stream

STAGE = "alone"
PROCESSES = 8
GAMES = 2000
CHANGES = 3  # changes published per game
CHUNK = 500  # notices published before waiting for their deliveries
BOUND = 60.0  # seconds a mode may take, at most
KEY = notices.key("bench")
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    """Measure both modes on a redis-server of the suite's own."""
    port = processes.free_port()
    with tempfile.TemporaryDirectory() as home:
        server = redis_server.start(port, Path(home) / "redis.log")
        try:
            url = redis_server.url(port)
            return {"watchers": {m: _measure(url, m) for m in ("sharded", "overlap")}}
        finally:
            processes.stop(server)


def _never(game_id: str, version: int) -> Game:
    raise AssertionError("every notice here carries its game: nothing is read")


def _measure(url: str, mode: str) -> dict[str, Any]:
    legacy = CHANNEL + ":bench" if mode == "overlap" else None
    prefix = f"bench{time.monotonic_ns()}:"
    buses = [Bus(url, legacy, (KEY,), prefix) for _ in range(PROCESSES)]
    hubs = [Hub(bus, _never) for bus in buses]
    draw = random.Random(27)
    games = [
        Game.invitation(f"g{n:05}", f"h{n:05}", f"o{n:05}", "2026-01-01T00:00:00Z")
        for n in range(GAMES)
    ]
    streams: list[list[Stream]] = [[] for _ in hubs]
    watched: list[set[str]] = [set() for _ in hubs]
    for game in games:
        for player in game.players:
            at = draw.randrange(PROCESSES)
            streams[at].append(hubs[at].open(player, 0, game.id))
            watched[at].add(game.id)
    publisher = Bus(url, legacy, (KEY,), prefix)
    started, deadline = time.monotonic(), time.monotonic() + BOUND
    sent: list[Game] = []
    for version in range(2, 2 + CHANGES):
        for first in range(0, GAMES, CHUNK):
            chunk = [replace(g, version=version) for g in games[first : first + CHUNK]]
            for game in chunk:
                publisher.publish(notices.changed(game))
            sent += chunk
            _wait(buses, _expected(watched, sent), len(sent) if legacy else 0, deadline)
    took = time.monotonic() - started
    found = [_process(b, s, w, len(sent)) for b, s, w in zip(buses, streams, watched, strict=True)]
    for hub, bus in zip(hubs, buses, strict=True):
        hub.close_all("the bench is done")
        bus.close()
    log.info("watchers, %s: %.1f s, %s", mode, took, [p["received"] for p in found])
    return {"processes": found, "notices": len(sent), "seconds": took, "size": _size(games[0])}


def _expected(watched: list[set[str]], sent: list[Game]) -> list[int]:
    return [sum(g.id in w for g in sent) for w in watched]


def _wait(buses: list[Bus], expected: list[int], copies: int, deadline: float) -> None:
    """Wait until each process heard what its streams watch, and the old channel's copies
    (or the time is up)."""
    while time.monotonic() < deadline:
        if all(
            b.received["sharded"] >= n and b.received["legacy"] >= copies
            for b, n in zip(buses, expected, strict=True)
        ):
            return
        time.sleep(0.01)


def _process(bus: Bus, streams: list[Stream], watched: set[str], sent: int) -> dict[str, Any]:
    events = 0
    for stream in streams:
        while (item := stream.next(0)) is not None:
            events += isinstance(item, Event)
    received = bus.received
    watched_changes = CHANGES * len(watched)
    return {
        "watched": len(watched),
        "streams": len(streams),
        "received": received["sharded"],
        "legacy": received["legacy"],
        "expected": watched_changes,
        "foreign": received["sharded"] - watched_changes,
        "events": events,
        "lost": CHANGES * len(streams) - events,
        "all": sent,
    }


def _size(game: Game) -> int:
    """Bytes of one signed notice as the bus carries it."""
    return len(notices.encode(notices.changed(game), KEY).encode())


def rows(results: dict[str, Any]) -> list[Row]:
    found = results.get("watchers")
    if not found:
        return []
    mine = found["sharded"]["processes"]
    ratio = [p["received"] / p["expected"] for p in mine if p["expected"]]
    foreign = [float(sum(p["foreign"] for p in mine))]
    share = [p["received"] / p["all"] for p in mine]
    return [
        Row(
            "Bus messages per stream process ÷ its watched games' changes (8 processes)",
            ratio,
            "= 1",
            lambda v: v == 1,
            None,
        ),
        Row(
            "Notices an instance received for games it does not watch",
            foreign,
            "0",
            lambda v: v == 0,
            None,
        ),
        Row(
            "Share of all notices a stream process receives (before: 1)",
            share,
            "≈ its watchers",
            None,
            1.0,
        ),
    ]


def sections(results: dict[str, Any]) -> list[str]:
    found = results.get("watchers")
    if not found:
        return []
    lines = [
        "## Push traffic per stream process (issue 27, item 4)",
        "",
        f"{PROCESSES} stream processes, {GAMES:,} games, both players of each on a game page on "
        f"an instance drawn at random, {CHANGES} changes a game published by one web worker; "
        f"a signed notice is {found['sharded']['size']} bytes. *Received*: messages the "
        "process's connection got; *before*: the single channel, where every process gets "
        "every notice; *overlap*: this release's old-channel copies, which every process "
        "still gets until the next release drops them.",
        "",
        "| process | games watched | streams | received | expected | foreign | events lost "
        "| before | overlap: received + old-channel copies |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    overlap = found["overlap"]["processes"]
    for n, (p, o) in enumerate(zip(found["sharded"]["processes"], overlap, strict=True)):
        lines.append(
            f"| {n} | {p['watched']} | {p['streams']} | {p['received']:,} | {p['expected']:,} "
            f"| {p['foreign']} | {p['lost']} | {p['all']:,} | {o['received']:,} + {o['legacy']:,} |"
        )
    lines += [
        "",
        f"Took {found['sharded']['seconds']:.1f} s and {found['overlap']['seconds']:.1f} s.",
        "",
    ]
    return lines
