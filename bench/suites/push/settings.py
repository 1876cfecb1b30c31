"""The push benchmark's targets, pacing and sizes (bench/suites/push/measure.py runs with them)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.suites.common import flood

# Targets, from the issue.
TARGET_P50_MS, TARGET_P95_MS = 50.0, 150.0
TARGET_WAIT_RCU = 1.0
TARGET_STREAMS_P99_RATIO = 1.25
TODAY_WAIT_RCU = 15.0  # polling, from the waiting benchmark
TODAY_LATENCY = "0.17–2.5 s (the 2 s poll)"

# Seconds before a click, drawn at random: with push off the move must land anywhere in the
# other page's 2 s poll cycle (back-to-back moves would lock the two pages' cycles together);
# with push on nothing waits on a cycle, so a short pause keeps the run short.
PAUSE_ON = (0.1, 0.3)
PAUSE_OFF = (0.0, 2.0)
HUMAN_PACE = 3.0  # seconds between moves in the CPU comparison
STREAMS_PER_PLAYER = 8  # the app's limit per player and process (tictactoe/services/hub.py)
SIGNUP_FLOOD_SOURCE = "127.0.2.{}"  # loopback addresses of the sign-up floods


@dataclass
class Sizes:
    moves: int = 30  # moves per latency run (games of 9, the last one cut short)
    wait_seconds: float = 150.0  # the waiting window (beside the rest): one backstop poll
    cpu_games: int = 2  # games per mode in the CPU comparison
    streams: int = 2000  # streams held open
    load_seconds: float = 5.0  # each move-p99 run
    flood_rate: float = flood.RATE  # sign-ups a second during the flooded latency run

    @classmethod
    def quick(cls) -> Sizes:
        return cls(moves=12, wait_seconds=30.0, cpu_games=1, streams=400, load_seconds=3.0)
