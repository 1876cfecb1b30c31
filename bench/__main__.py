"""`make bench`: start a local stack, measure everything, write docs/benchmarks.md.

Runs in a few minutes on 2 cores: capacity per game (in-process app, real DynamoDB Local),
waiting cost (headless chromium against the in-process app), throughput and latency (a load
process against gunicorn with 2 workers), move latency while one client floods /api/login
(bench/flood.py), page weight (chromium against gunicorn), the avatar figures when
bench/avatars.py is there, push (bench/push.py: move-to-screen latency, waiting cost,
open streams, CPU per game; its own instances behind nginx, on the same DynamoDB Local), and
baseline against current (bench/compare.py: a git ref in a temporary worktree against this
tree, the browser flow with push on, rounds interleaved, then py-spy profiles of both). The
capacity scenarios also carry what AWS bills for the same calls (bench/billing_meter.py).
`--quick` runs everything small, for development (a few minutes).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import compare, cuts, designs, flood, game_costs, load, pages, push, report
from . import results as counting
from .flows import TIE_IN_9, WIN_IN_7, picture
from .stack import ROOT, Stack, local_stack

log = logging.getLogger("bench")
# Capacity scenarios: (key suffix, players have a history, players have pictures).
SCENARIOS = (("", True, False), ("_new", False, False), ("_pictures", True, True))


def machine() -> dict[str, Any]:
    """Describe where the figures come from."""
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": os.getloadavg()[0],
    }


def run(
    runs: int,
    load_runs: int,
    seconds: float,
    wait_seconds: float,
    push_sizes: push.Sizes | None = None,
    plan: compare.Plan | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "runs": runs}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, local_stack(Path(tmp)) as stack:
        app, recorder = game_costs.instrumented_app(stack.settings)
        log.info("capacity per game, %d runs each", runs)
        results["capacity"] = {
            name + suffix: [
                game_costs.game_capacity(app, recorder, cells, history, pictures)
                for _ in range(runs)
            ]
            for name, cells in (("win", WIN_IN_7), ("tie", TIE_IN_9))
            for suffix, history, pictures in SCENARIOS
        }
        log.info("capacity per game with push on (the pages' streams instead of polls)")
        with game_costs.push_app(stack.settings, Path(tmp)) as (live, live_recorder):
            for name, cells in (("win", WIN_IN_7), ("tie", TIE_IN_9)):
                results["capacity"][f"{name}_push"] = [
                    game_costs.game_capacity(live, live_recorder, cells, True, push=True)
                    for _ in range(runs)
                ]
        log.info("counting results: finishing moves, resign, claim, player, leaderboard")
        results["counting"] = counting.measure(app, recorder, runs)
        log.info("session checks per game at %d paces", len(game_costs.PACES))
        results["session_checks"] = game_costs.session_checks(app, recorder, WIN_IN_7)
        log.info("app CPU per request, each cut of 7fcaba5 off and on (bench/cuts.py)")
        results["cuts"] = cuts.measure(stack.settings, quick=runs < 2)
        log.info("table designs that write less per game (bench/designs.py)")
        results["designs"] = designs.measure(stack.settings.endpoint or "")
        log.info("waiting: %d runs of %.0f s in chromium", runs, wait_seconds)
        with game_costs.serving(app) as url:
            results["waiting"] = [
                game_costs.waiting_cost(app, recorder, url, wait_seconds) for _ in range(runs)
            ]
        results["pages"] = _pages(stack.app_url, runs)
        results["throughput"], moves_sent = _throughput(stack, load_runs, seconds)
        log.info("moves during a login flood: %d quiet and %d flooded runs", runs, runs)
        movers = load.register_players(stack.app_url, [f"mover{i}" for i in range(8)])
        results["login_flood"] = flood.run(stack, movers, runs, seconds)
        results["login_flood_unpaced"] = flood.run(stack, movers, 1, seconds, rate=None)
        for key in ("login_flood", "login_flood_unpaced"):
            moves_sent += results[key]["moves_sent"]
        calls = stack.dynamodb_calls()  # stops gunicorn, whose workers write their counts
        results["calls_under_load"] = {
            "by_operation": calls["calls"],
            "seconds": calls["seconds"],
            "moves_sent": moves_sent,
        }
        if plan is not None:  # the app above is stopped; its DynamoDB Local and S3 serve
            log.info("baseline against current (bench/compare.py)")
            results["compare"] = compare.run(
                plan,
                stack.settings.endpoint or "",
                stack.settings.s3_endpoint or "",
                stack.db.pid,
                Path(tmp),
            )
        if push_sizes is not None:
            log.info("push: live updates against polling (bench/push.py)")
            results["push"] = push.run(
                push_sizes, stack.settings.endpoint, stack.settings.s3_endpoint
            )
    results["machine"]["load_after"] = os.getloadavg()[0]
    results["avatars"] = _avatars()
    return results


def _pages(base_url: str, runs: int) -> list[dict[str, Any]]:
    log.info("page weight, %d runs", runs)
    host, opponent = load.register_players(base_url, ["pagehost", "pageopp"])
    for player in (host, opponent):  # pictures beside the names: the heavier pages
        load.ApiBrowser(base_url, player).upload_picture(picture())
    game = load.ApiBrowser(base_url, host)
    created = game.take(game.post("/api/games", {"opponent": opponent.name}), 201)
    other = load.ApiBrowser(base_url, opponent)
    other.take(other.post(f"/api/games/{created['id']}/accept", None), 200)
    # The opponent moves first, so their page waits for nothing and does not poll.
    return [pages.page_weights(base_url, opponent.name, created["id"]) for _ in range(runs)]


def _throughput(stack: Stack, runs: int, seconds: float) -> tuple[dict[str, Any], int]:
    base_url = stack.app_url
    players = load.register_players(base_url, [f"load{i}" for i in range(32)])
    log.info("throughput: warm-up, then %d runs of %.0f s at 4 and 16 pairs", runs, seconds)
    warm = load.measure(base_url, players[:8], 4, 2000)
    moves_sent = warm["moves_sent"]
    results: dict[str, Any] = {"4": [], "16": []}
    # Interleaved, so that whatever else the machine runs weighs on both sizes alike.
    for _ in range(runs):
        for pairs in (4, 16):
            before = stack.cpu_seconds()
            done = load.measure(base_url, players[: 2 * pairs], seconds, 20_000)
            after = stack.cpu_seconds()
            done["server_cpu_s"] = {k: after[k] - before[k] for k in after}
            moves_sent += done["moves_sent"]
            results[str(pairs)].append(done)
            log.info(
                "  %d pairs: %.1f moves/s, p99 %.1f ms", pairs, done["moves_per_s"], done["p99_ms"]
            )
    return results, moves_sent


def _avatars() -> dict[str, Any] | None:
    """Run the avatar benchmark if bench/avatars.py is there (it comes with the avatars work)."""
    try:
        from . import avatars  # type: ignore[attr-defined]
    except ImportError:
        return None
    log.info("avatars")
    result: dict[str, Any] = avatars.run()
    if hasattr(avatars, "report"):
        result["_markdown"] = avatars.report(result)
    return result


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("tictactoe").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=3, help="repeats of every measurement")
    parser.add_argument("--load-runs", type=int, default=5, help="throughput runs per size")
    parser.add_argument("--seconds", type=float, default=6, help="each throughput run")
    parser.add_argument("--wait-seconds", type=float, default=20, help="each waiting run")
    sizes = push.Sizes()
    parser.add_argument(
        "--push-moves", type=int, default=sizes.moves, help="moves per push latency run"
    )
    parser.add_argument(
        "--push-wait-seconds",
        type=float,
        default=sizes.wait_seconds,
        help="the push waiting window",
    )
    parser.add_argument(
        "--push-cpu-games",
        type=int,
        default=sizes.cpu_games,
        help="games per mode in the push CPU comparison",
    )
    parser.add_argument("--push-streams", type=int, default=sizes.streams, help="streams held open")
    parser.add_argument(
        "--push-load-seconds",
        type=float,
        default=sizes.load_seconds,
        help="each move-p99 run beside the open streams",
    )
    parser.add_argument("--no-push", action="store_true", help="leave the push figures out")
    parser.add_argument(
        "--no-compare", action="store_true", help="leave baseline against current out"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small and once, into /tmp (development)"
    )
    parser.add_argument("--out", type=Path, help="docs/benchmarks.md (--quick: /tmp)")
    args = parser.parse_args()
    push_sizes = (
        None
        if args.no_push
        else push.Sizes(
            moves=args.push_moves,
            wait_seconds=args.push_wait_seconds,
            cpu_games=args.push_cpu_games,
            streams=args.push_streams,
            load_seconds=args.push_load_seconds,
        )
    )
    plan = None if args.no_compare else compare.Plan.quick() if args.quick else compare.Plan()
    if args.out is None:
        args.out = (
            Path(tempfile.gettempdir()) / "benchmarks-quick.md"
            if args.quick
            else ROOT / "docs" / "benchmarks.md"
        )
    if args.quick:
        args.runs, args.load_runs, args.seconds, args.wait_seconds = 1, 1, 3, 5
        push_sizes = None if args.no_push else push.Sizes.quick()
    started = time.monotonic()
    results = run(args.runs, args.load_runs, args.seconds, args.wait_seconds, push_sizes, plan)
    results["machine"]["bench_seconds"] = time.monotonic() - started
    (Path(tempfile.gettempdir()) / "bench-results.json").write_text(
        json.dumps(results, indent=1, default=str)
    )
    text = report.render(results)
    args.out.write_text(text)
    print(text)
    print(f"\nWrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
