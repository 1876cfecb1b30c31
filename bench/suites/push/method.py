"""How the push figures are measured: the push part of the report's method section."""

from __future__ import annotations

from bench.suites.push.settings import HUMAN_PACE, PAUSE_OFF, PAUSE_ON

# How the push figures are measured (for the report's method section).
METHOD = [
    "- **Push** (bench/suites/push/; `python -m bench --quick --only push` runs it alone): a "
    "stack of its own (bench/harness/stack.py: three of devstack's Stacks, the topology the "
    "browser tests prove) on the DynamoDB Local and S3 of the rest: one redis-server and "
    "five app instances, each the Procfile's `web:` (gthread) and `stream:` (gevent) "
    "processes started with the Procfile's own command lines (only the ports changed) "
    "behind the instance's own nginx, laid out as Elastic Beanstalk's platform does from "
    "the bundle's .platform files: two with push on, two with push off, and one more with "
    "push on that serves only the waiting pages. A load balancer nginx in front of each "
    "mode, round-robin over its instances' nginx, keeping no idle connections to them. "
    "Limits at their defaults; the players sign up from loopback "
    "addresses of their own (10 an address, within the 20 an hour the limit allows). JSON "
    "logs, as on Elastic Beanstalk. One run of each measurement (their sizes are flags: "
    "`--push-moves`, `--push-wait-seconds`, `--push-cpu-games`, `--push-streams`, "
    "`--push-load-seconds`).",
    "- **Move to screen**: headless Debian chromium, two pages (fresh contexts, each "
    "signed in by its player's session cookie); games of 9 moves, a new game every 9. Each "
    "page plays its own moves: a script in the page clicks its next cell once the cell is "
    "enabled (the page shows the other's last move), after a random pause, "
    f"{PAUSE_ON[0]}–{PAUSE_ON[1]} s with push on, {PAUSE_OFF[0]:.0f}–{PAUSE_OFF[1]:.0f} s "
    "with push off, so that moves land anywhere in the other page's 2 s poll cycle. Every "
    "time is taken in the browser, on one clock (performance.timeOrigin + now()): the "
    "click, the MutationObserver on the other page seeing the mark (and the animation "
    "frame after it), the POST's end from Resource Timing, the stream event from a wrapper "
    "around EventSource installed before the page's scripts (if a page opened no stream "
    "itself, a probe EventSource of ours would time the push path alone). The POST's "
    "answer can come after the other screen shows the move: the notice leaves as the "
    "write succeeds. The flooded run: a process sends sign-ups (new names, a valid "
    "password) from a loopback address of its own at 200 a second over 16 keep-alive "
    "connections through nginx while the pages play. The push-off run plays two games at "
    "once (half the moves each) while the stream players sign up through the same "
    "push-off instances, which may add some ms to its polls.",
    "- **Waiting**: every DynamoDB call of every process of the waiting pages' instance "
    "(web and stream workers) is counted by the capacity hook on its one client, which "
    "all the app's stores, the limits, the request log and the hub use "
    "(devstack/hooks.py, written live to files), so the stream process's reads outside "
    "requests (the hub's read per notice, a stream's session re-check) count too. That "
    "instance serves the two pages and nothing else, while the rest of the benchmark runs "
    "on the others (it hears their notices on the bus, as production's instances do). "
    "The request log alone would miss the streams' reads: a stream's line is written as "
    "the stream starts. Per game-minute = units × 60 / seconds watched; the schedules' "
    "figure adds the periodic work the window is too short to see.",
    "- **Open streams**: a separate asyncio process holds the streams through nginx (a GET "
    "with the player's session cookie, reading every byte that comes); RSS of the stream "
    "workers from /proc before and with them open; move latency from bench/load.py (4 "
    "pairs, API moves through nginx, one process for all runs) before, twice with the "
    "streams open, and after.",
    f"- **CPU per game**: games of 7 moves, a click every {HUMAN_PACE:.0f} s in real pages "
    "(polling with push off, streaming with push on), both modes at the same time so that "
    "the machine weighs on both alike; user + system CPU of every gunicorn master and "
    "worker of the mode (web and stream processes) from /proc, from opening the pages to "
    "the last move on both screens, divided by the games.",
]
