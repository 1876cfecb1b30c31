"""Baseline against current in one run: the browser flow, push on, at 4 and 16 pairs.

Both sides (bench/harness/sides.py: the baseline's worktree, and this tree) run at once on the same
DynamoDB Local, redis-server and machine, each with its own players and tables. After a
warm-up of each, the runs take turns: for each round and each size, the baseline, then
current, so that whatever else the machine does weighs on both alike. Every run is
bench/suites/common/page_load.py in its own process (the same one throughout), closed loop,
bounded in time and moves. Around each run the CPU of the side's gunicorn masters and workers
(web and stream) is read from /proc, and that of DynamoDB Local; the load generator reports its own.
Then py-spy samples each side under the same load (bench/suites/compare/profiles.py).
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.harness import baseline
from bench.harness.sides import Side, sides
from bench.harness.stack import ROOT, cpu_seconds
from bench.suites.common.page_load import Runner
from bench.suites.compare import profiles

log = logging.getLogger("bench.compare")
SIZES = (4, 16)
# Players per side: each game is played by the pair that waited longest, so that at the
# rates seen here no player opens streams faster than the app's cap of 8 a player allows.
PLAYERS = 128
LINE = "  round %d, %2d pairs, %-8s: %5.1f moves/s, p99 %5.1f ms, app %4.1f CPU ms a move"
LOGGED = ("moves_per_s", "p99_ms", "app_cpu_ms_per_move")


@dataclass
class Plan:
    rounds: int = 3
    seconds: float = 6.0
    warm_seconds: float = 3.0
    profile_seconds: float = 12.0
    players: int = PLAYERS

    @classmethod
    def quick(cls) -> Plan:
        return cls(rounds=1, seconds=3.0, warm_seconds=1.5, profile_seconds=5.0, players=48)


def run(
    plan: Plan, endpoint: str, s3_endpoint: str, db_pid: int | None, workdir: Path
) -> dict[str, Any]:
    """Start both sides, measure them in turn, profile them; stop everything."""
    ref = baseline.choose()
    out: dict[str, Any] = {
        "plan": asdict(plan),
        "baseline": asdict(ref),
        "current": baseline.current(),
        "runs": {},
    }
    started = time.monotonic()
    with (
        baseline.worktree(ref) as tree,
        sides({"baseline": tree, "current": ROOT}, endpoint, s3_endpoint, workdir) as running,
        Runner() as runner,
    ):
        out["stack_seconds"] = time.monotonic() - started
        log.info(
            "compare: baseline %s (%s), %d players a side", ref.name, ref.commit[:10], plan.players
        )
        players = _sign_up(running, plan.players)
        out["signup_seconds"] = time.monotonic() - started - out["stack_seconds"]
        for name, side in running.items():
            runner.measure(side.url, side.stream_url, players[name], 4, plan.warm_seconds)
        for round_ in range(plan.rounds):
            for pairs in SIZES:
                for name in ("baseline", "current"):
                    done = _measured(
                        running[name], runner, players[name], pairs, plan.seconds, db_pid
                    )
                    out["runs"].setdefault(name, {}).setdefault(str(pairs), []).append(done)
                    log.info(LINE, round_ + 1, pairs, name, *(done[k] for k in LOGGED))
        out["profiles"] = _profiles(running, runner, players, plan, workdir)
    out["seconds"] = time.monotonic() - started
    return out


def _sign_up(running: dict[str, Side], count: int) -> dict[str, list[Any]]:
    """`count` new players on each side, both sides at once."""
    tag = random.randrange(10**6)
    with ThreadPoolExecutor(2) as pool:
        signing = {
            name: pool.submit(side.register, [f"c{tag}x{i}" for i in range(count)])
            for name, side in running.items()
        }
        return {name: job.result(timeout=900) for name, job in signing.items()}


def _measured(
    side: Side, runner: Runner, players: list[Any], pairs: int, seconds: float, db_pid: int | None
) -> dict[str, Any]:
    app, db = side.cpu(), cpu_seconds(db_pid) if db_pid else 0.0
    done = runner.measure(side.url, side.stream_url, players, pairs, seconds)
    app, db = side.cpu() - app, (cpu_seconds(db_pid) - db) if db_pid else 0.0
    moves = done["moves_sent"] or 1
    return done | {
        "app_cpu_s": app,
        "db_cpu_s": db,
        "app_cpu_ms_per_move": 1000 * app / moves,
        "db_cpu_ms_per_move": 1000 * db / moves,
        "load_cpu_ms_per_move": 1000 * done["load_cpu_s"] / moves,
    }


def _profiles(
    running: dict[str, Side],
    runner: Runner,
    players: dict[str, list[Any]],
    plan: Plan,
    workdir: Path,
) -> dict[str, Any]:
    if profiles.available() is None:
        log.warning("compare: py-spy is not installed; no profiles")
        return {}
    found = {}
    for name in ("baseline", "current"):
        log.info("compare: py-spy on %s, %.0f s at 4 pairs", name, plan.profile_seconds)
        found[name] = profiles.record(
            running[name], runner, players[name], 4, plan.profile_seconds, workdir
        )
    return found
