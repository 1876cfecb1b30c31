"""The push benchmark's part of docs/benchmarks.md: its section, and its summary rows' data."""

from __future__ import annotations

import re
from typing import Any

from tictactoe.web.streams import RECHECK_SECONDS as STREAM_RECHECK_SECONDS

from .figures import num
from .push import (
    HUMAN_PACE,
    PAUSE_OFF,
    PAUSE_ON,
    STREAMS_PER_PLAYER,
    TARGET_P50_MS,
    TARGET_P95_MS,
    TARGET_STREAMS_P99_RATIO,
    TARGET_WAIT_RCU,
)
from .stack import ROOT

MB = 1e6
GAME_JS = ROOT / "tictactoe" / "static" / "game.js"


def samples(run: dict[str, Any], span: str = "screen") -> list[float]:
    """Each move's milliseconds from its click to the other screen (or to `span`'s end)."""
    keys = {"screen": ("seen", "click"), "frame": ("frame", "click"),
            "event": ("event", "click"), "after_post": ("seen", "posted")}  # fmt: skip
    end, start = keys[span]
    return [r[end] - r[start] for r in run["records"] if r.get(end) and r.get(start)]


def page_streams(push: dict[str, Any]) -> bool:
    """Did the game pages open a stream of their own (game.js), or only poll?"""
    return bool(push["latency_on"]["page_streams"] and push["waiting"]["page_streams"])


def _ms(stats: dict[str, float] | None, key: str) -> str:
    return num(stats[key]) if stats else "–"


def _latency_table(push: dict[str, Any]) -> list[str]:
    lines = [
        "| run | moves | click → other screen p50 / p95 / max ms | same, next frame p50 / p95 "
        "| POST answered → other screen p50 / p95 | click → POST answered p50 | click → stream "
        "event in the other browser p50 / p95 | pages' own stream |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, key in (("push on", "latency_on"), ("push on, sign-up flood", "latency_flooded"),
                       ("push off (2 s polling)", "latency_off")):  # fmt: skip
        run = push[key]
        spans = ("screen", "frame", "after_post", "post", "event")
        screen, frame, after, post, event = (run[k] for k in spans)
        own = "yes" if run["page_streams"] else ("no (a probe stream of ours)" if run["probe"]
                                                 else "no")  # fmt: skip
        lines.append(
            f"| {label} | {run['moves']} | {_ms(screen, 'p50')} / {_ms(screen, 'p95')} / "
            f"{_ms(screen, 'max')} | {_ms(frame, 'p50')} / {_ms(frame, 'p95')} | "
            f"{_ms(after, 'p50')} / {_ms(after, 'p95')} | {_ms(post, 'p50')} | "
            f"{_ms(event, 'p50')} / {_ms(event, 'p95')} | {own} |"
        )
    failed = {label: push[key].get("page_failures", []) for label, key in
              (("push on", "latency_on"), ("flooded", "latency_flooded"),
               ("push off", "latency_off"))}  # fmt: skip
    if any(failed.values()):
        lines += ["", "Game pages that had to be loaded again: " + "; ".join(
            f"{label}: {', '.join(f)}" for label, f in failed.items() if f) + "."]  # fmt: skip
    got = push["latency_flooded"]["flood"]
    answers = ", ".join(f"{n}× {status}" for status, n in got["statuses"].items())
    lines += [
        "",
        f"The flood: {got['requests']} sign-ups in {got['seconds']:.0f} s "
        f"({got['per_s']:.0f}/s) from {got['source']}, answered {answers} "
        "(201: hashed and created, up to the 20 an hour a client may; 429: refused, from the "
        "process's memory once it knows; 503: the hashing slots were full).",
        "",
    ]
    return lines


def backstop_seconds() -> float:
    """The game page's backstop poll period while a stream is open (game.js, BACKSTOP_MS)."""
    found = re.search(r"BACKSTOP_MS\s*=\s*(\d+)", GAME_JS.read_text()) if GAME_JS.exists() else None
    return int(found.group(1)) / 1000 if found else float("nan")


def steady_waiting(w: dict[str, Any]) -> dict[str, float]:
    """RCU per game-minute by the schedules, for work whose period outlasts the window.

    The waiting player's page polls once per backstop period (the other page, whose turn it
    is, does not poll); each of the two streams re-checks its session every
    STREAM_RECHECK_SECONDS (a Users GetItem, 0.5 RCU). A backstop poll's cost is the one
    measured in the window, or, if none fell in it, a GetItem of the game and one of the
    player's session re-check (1 RCU)."""
    polls = w["polls"]["waiting"] + w["polls"]["to move"]
    poll_rcu = sum(v["rcu"] for k, v in w["by_type"].items() if k.endswith(":poll"))
    per_poll = poll_rcu / polls if polls else 1.0
    backstop = backstop_seconds()
    streams = 2 if w["page_streams"] else 0
    polling = per_poll * 60 / backstop if w["page_streams"] else w["rcu_per_minute"]
    rechecks = streams * 0.5 * 60 / STREAM_RECHECK_SECONDS
    return {"per_poll": per_poll, "measured_poll": bool(polls), "backstop_s": backstop,
            "polls": polling, "rechecks": rechecks, "total": polling + rechecks}  # fmt: skip


def _waiting_lines(push: dict[str, Any]) -> list[str]:
    w = push["waiting"]
    kinds = ", ".join(f"{k} {v['calls']} calls / {num(v['rcu'])} RCU"
                      for k, v in sorted(w["by_type"].items())) or "none"  # fmt: skip
    steady = steady_waiting(w)
    polls, asked = w["polls"], w["stream_requests"]
    own = "yes" if w["page_streams"] else "no"
    lines = [
        f"Both game pages open for {w['seconds']:.0f} s on a game nobody moves in, on a "
        "push-on instance that serves nothing else (the rest of the benchmark runs meanwhile "
        f"on the others): {w['calls']} DynamoDB calls, {num(w['rcu'])} RCU, "
        f"{num(w['wcu'])} WCU in all its processes, web and stream = "
        f"**{num(w['rcu_per_minute'])} RCU per game-minute** (× 60 / {w['seconds']:.0f} s). "
        f"By process and request type: {kinds}. Polls in the window: {polls['waiting']} from "
        f"the waiting player's page, {polls['to move']} from the other's; the pages asked for "
        f"{asked['waiting']} and {asked['to move']} streams (pages' own stream: {own}).",
        "",
    ]
    if w["page_streams"]:
        lines += [
            f"By the schedules, for a game that waits long: the waiting page's backstop poll "
            f"every {steady['backstop_s']:.0f} s at {num(steady['per_poll'])} RCU "
            + ("(as measured here, the poll and its session re-check)"
               if steady["measured_poll"] else "(none fell in this window: a GetItem of the "
               "game and one of the session re-check assumed)")
            + f" = {num(steady['polls'])} RCU a minute, and each stream's session re-check "
            f"every {STREAM_RECHECK_SECONDS} s (0.5 RCU) = {num(steady['rechecks'])} for two: "
            f"**{num(steady['total'])} RCU per game-minute**. "
            + (f"The window ({w['seconds']:.0f} s) is shorter than the re-check's period, so "
               "the measured figure leaves the re-checks out"
               if w["seconds"] < STREAM_RECHECK_SECONDS else "")
            + (" and may miss a backstop poll (it counts the periods that fell inside)."
               if w["seconds"] < 2 * steady["backstop_s"] else "."),
            "",
        ]  # fmt: skip
    return lines


def _streams_lines(push: dict[str, Any]) -> list[str]:
    s = push["streams"]
    opened = s["opened"]
    statuses = ", ".join(f"{n}× {k}" for k, n in sorted(opened["statuses"].items()))
    lines = [
        f"{opened['open']} of {s['asked']} streams opened through nginx in "
        f"{opened['seconds']:.1f} s ({statuses}; first event p50 "
        f"{num(opened['first_event_p50_ms'] or 0)} ms, max {num(opened['first_event_max_ms'] or 0)}"
        f" ms), {STREAMS_PER_PLAYER} per player (the app's limit per player and process), "
        "each its player's own session on the game they are in. The two stream processes' "
        f"workers: {s['rss_before'] / MB:.0f} MB resident before, {s['rss_with'] / MB:.0f} MB "
        f"with them open: **{s['rss_per_1000'] / MB:.1f} MB per 1,000 streams** (nginx: "
        f"{s['nginx_rss_per_1000'] / MB:.1f} MB per 1,000). Held "
        f"{s['held'].get('held_seconds', 0):.0f} s; they received "
        f"{s['held'].get('heartbeats', 0)} heartbeats and {s['held'].get('events', 0)} "
        f"events, and {s['held'].get('ended_by_server', 0)} were ended by the server.",
        "",
        "| 4 pairs moving | moves | moves/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    order = [("without streams, before", s["runs"]["without"][0])]
    order += [(f"with {opened['open']} open, run {i}", r) for i, r in
              enumerate(s["runs"]["with"], 1)]  # fmt: skip
    order += [("without streams, after", s["runs"]["without"][1])]
    for label, r in order:
        lines.append(f"| {label} | {r['moves']} | {r['moves_per_s']:.1f} | {r['p50_ms']:.1f} | "
                     f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {len(r['errors'])} |")  # fmt: skip
    quiet = [r["p99_ms"] for r in s["runs"]["without"]]
    lines += ["", f"p99 with ÷ without (run 1 against the run before, run 2 against the run "
              f"after): {', '.join(f'{x:.2f}' for x in s['p99_ratios'])}."]  # fmt: skip
    if max(quiet) > TARGET_STREAMS_P99_RATIO * min(quiet):
        lines.append(
            f"The two runs without streams differ by {max(quiet) / min(quiet):.1f}×, more than "
            "the target's margin, so on this machine at this time the ratio says more about "
            "the machine than about the streams (see the load average under Machine)."
        )
    lines.append("")
    return lines


def _pace_lines(push: dict[str, Any]) -> list[str]:
    h = push["human_pace"]
    lines = [
        f"{h['games_per_mode']} game(s) of 7 moves in each mode at once, a move every "
        f"{h['pace_s']:.0f} s in real pages, {h['seconds']:.0f} s from opening the pages to "
        f"the last move on both screens (a click was at most {h['late_s_max']:.1f} s late).",
        "",
        "| per game | app CPU ms (web / stream) | RCU | WCU | DynamoDB calls | polls | "
        "stream requests | pages' own stream |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode in ("on", "off"):
        m = h[mode]
        web = 1000 * m["cpu_s"].get("web", 0.0) / h["games_per_mode"]
        stream = 1000 * m["cpu_s"].get("stream", 0.0) / h["games_per_mode"]
        lines.append(
            f"| push {mode} | {m['cpu_ms_per_game']:.0f} ({web:.0f} / {stream:.0f}) | "
            f"{num(m['rcu_per_game'])} | {num(m['wcu_per_game'])} | {num(m['calls_per_game'])} | "
            f"{num(m['polls_per_game'])} | {num(m['stream_requests_per_game'])} | "
            f"{'yes' if m['page_streams'] else 'no'} |"
        )
    lines += [
        "",
        f"Push on ÷ push off: {h['ratio']:.2f}; push on − push off: {h['difference_ms']:+.0f} ms "
        "a game. Both include the processes' idle ticking over the window (gunicorn's and its "
        "workers', about the same in both modes: the same four processes), which the "
        "difference cancels.",
        "",
    ]
    return lines


def method() -> list[str]:
    """How the push figures are measured (for the report's method section)."""
    return [
        "- **Push** (bench/push.py; `python -m bench.push --quick` runs it alone): a stack of "
        "its own (bench/push_stack.py) on the DynamoDB Local and S3 of the rest: one "
        "redis-server and five app instances, each the Procfile's `web:` (gthread) and "
        "`stream:` (gevent) processes started with the Procfile's own command lines (only the "
        "ports changed): two with push on, two with push off, and one more with push on that "
        "serves only the waiting pages. Debian's nginx in front, a port per mode, round-robin "
        "over the mode's web processes and the stream paths to its stream processes with "
        "proxy_buffering off, proxy_read_timeout 60s, HTTP/1.1 and an empty Connection header; "
        "worker_connections 8192. Limits at their defaults; the players sign up from loopback "
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
        "(bench/push_conf.py, written live to files), so the stream process's reads outside "
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


def markdown(push: dict[str, Any] | None) -> list[str]:
    """The report's push section."""
    if not push:
        return []
    own = page_streams(push)
    lines = [
        "## Push (live updates)",
        "",
        f"Run in {push['seconds']:.0f} s (stack up in {push['stack_seconds']:.0f} s), sizes "
        + ", ".join(f"{k} {v}" for k, v in push["sizes"].items())
        + ".",
        "",
    ]
    if not own:
        lines += [
            "**The game page opened no stream of its own in this run**: tictactoe/static/"
            "game.js still polls every 2 s with push on, so the 'other screen' and waiting "
            "figures with push on are the polling page's, and the 'stream event' column times "
            "the push path alone (a probe EventSource of ours in the other page).",
            "",
        ]
    lines += [
        "### Move to screen",
        "",
        f"Targets: p50 ≤ {TARGET_P50_MS:.0f} ms, p95 ≤ {TARGET_P95_MS:.0f} ms from the click to "
        "the other screen.",
        "",
        *_latency_table(push),
        "### Waiting with push on",
        "",
        f"Target ≤ {TARGET_WAIT_RCU:g} RCU per game-minute.",
        "",
        *_waiting_lines(push),
        "### Open streams",
        "",
        f"Target: move p99 with the streams open ≤ {TARGET_STREAMS_P99_RATIO} × without.",
        "",
        *_streams_lines(push),
        "### App CPU per game at a human pace",
        "",
        *_pace_lines(push),
    ]
    return lines


def summary(push: dict[str, Any]) -> list[tuple[str, list[float], str, Any, Any]]:
    """(figure, values, target, test, today's) for the report's summary table."""
    on, flooded, off = push["latency_on"], push["latency_flooded"], push["latency_off"]
    rate = flooded["flood"]["per_s"]
    streams, pace, wait = push["streams"], push["human_pace"], push["waiting"]
    today = "polling: 0.17–2.5 s"
    rows: list[tuple[str, list[float], str, Any, Any]] = [
        (f"Push: move to the other screen, p50 ms (median of {on['moves']} moves, min–max)",
         samples(on), f"≤ {TARGET_P50_MS:.0f}", lambda v: v <= TARGET_P50_MS, today),
        ("Push: move to the other screen, p95 ms", [on["screen"]["p95"]],
         f"≤ {TARGET_P95_MS:.0f}", lambda v: v <= TARGET_P95_MS, today),
        (f"Push: move to the other screen during a sign-up flood ({rate:.0f}/s), p50 ms",
         samples(flooded), f"≤ {TARGET_P50_MS:.0f}", lambda v: v <= TARGET_P50_MS, None),
        ("Push: move to the other screen during the sign-up flood, p95 ms",
         [flooded["screen"]["p95"]], f"≤ {TARGET_P95_MS:.0f}", lambda v: v <= TARGET_P95_MS,
         None),
    ]  # fmt: skip
    if on["after_post"]:
        rows += [
            ("Push: from the move's POST answered to the other screen, p50 ms",
             samples(on, "after_post"), f"≤ {TARGET_P50_MS:.0f}",
             lambda v: v <= TARGET_P50_MS, None),
            ("Push: from the move's POST answered to the other screen, p95 ms",
             [on["after_post"]["p95"]], f"≤ {TARGET_P95_MS:.0f}",
             lambda v: v <= TARGET_P95_MS, None),
        ]  # fmt: skip
    if on["event"]:
        rows.append(("Push: move to the stream event in the other browser, p50 ms",
                     samples(on, "event"), "–", None, None))  # fmt: skip
    rows += [
        ("Push off (2 s polling, same run): move to the other screen, p50 ms", samples(off),
         "–", None, today),
        ("Push off: move to the other screen, p95 ms", [off["screen"]["p95"]], "–", None, None),
        (f"Push: RCU per waiting game-minute, both screens open {wait['seconds']:.0f} s",
         [wait["rcu_per_minute"]], f"≤ {TARGET_WAIT_RCU:g}",
         lambda v: v <= TARGET_WAIT_RCU, "polling: 15"),
        *([("Push: RCU per waiting game-minute by the schedules (backstop poll, streams' "
            "session re-checks)", [steady_waiting(wait)["total"]], f"≤ {TARGET_WAIT_RCU:g}",
            lambda v: v <= TARGET_WAIT_RCU, None)] if wait["page_streams"] else []),
        ("Push: stream workers' RSS per 1,000 open streams, MB",
         [streams["rss_per_1000"] / MB], "–", None, None),
        (f"Push: move p99 with {streams['opened']['open']} open streams ÷ without (4 pairs, "
         "same run)", streams["p99_ratios"], f"≤ {TARGET_STREAMS_P99_RATIO}",
         lambda v: v <= TARGET_STREAMS_P99_RATIO, None),
        (f"Push on: app CPU ms per game, a move every {HUMAN_PACE:.0f} s",
         [pace["on"]["cpu_ms_per_game"]], "–", None, None),
        (f"Push off: app CPU ms per game, a move every {HUMAN_PACE:.0f} s",
         [pace["off"]["cpu_ms_per_game"]], "–", None, None),
        ("Push on ÷ push off: app CPU per game", [pace["ratio"]], "–", None, None),
        ("Push on − push off: app CPU ms per game", [pace["difference_ms"]], "–", None, None),
    ]  # fmt: skip
    return rows


# -- why a target was missed (bench/notes.py asks) --------------------------------------------


def _load(push: dict[str, Any]) -> str:
    return (f"the 1-minute load average was {push['load_before']:.1f} as the push part began "
            f"and {push['load_after']:.1f} as it ended, on 2 cores: other work shared the CPU "
            "with nginx, gunicorn, DynamoDB Local and chromium")  # fmt: skip


def why_latency(results: dict[str, Any]) -> str:
    push = results["push"]
    on, off, flooded = push["latency_on"], push["latency_off"], push["latency_flooded"]
    if not on["page_streams"]:
        return (
            "The game page opened no stream of its own (game.js polled), so the screen "
            "figures are polling's; the stream event column times the push path alone."
        )
    post, after, event = on["post"], on["after_post"], on["event"]
    used = on.get("dynamodb", {})
    reads = used.get("by_operation", {}).get("stream:outside:GetItem", 0)
    hub = (f"; the hubs read the game {reads} times for {on['moves']} moves (once per stream "
           "process holding a stream of it), "
           f"{num(used['mean_ms']['stream:outside:GetItem'])} ms each on average"
           if reads else "")  # fmt: skip
    return (
        f"Where the time goes, push on, over {on['moves']} moves: from the click to the move's "
        f"own POST answered, p50 {num(post['p50'])} ms (p95 {num(post['p95'])}): the request "
        "every move makes, push or not (push off, same run: p50 "
        f"{num(off['post']['p50'])} ms); from that answer to the other screen, p50 "
        f"{num(after['p50'])} ms (p95 {num(after['p95'])}): the push path itself (the notice "
        "through redis, the hub's read of the game, the event through the stream process and "
        f"nginx, EventSource, the page's render){hub}. The stream's event reaches the other "
        f"browser at p50 {num(event['p50'])} ms from the click, and the page renders it at "
        f"once. During the sign-up flood: {num(flooded['post']['p50'])} ms to the POST's "
        f"answer and {num(flooded['after_post']['p50'])} more to the other screen (p50). "
        f"Meanwhile {_load(push)}. "
        + ("So most of the time over the target is the move's own round trip on a shared "
           "2-core machine (the throughput runs time the same request), not what push adds "
           "after it. " if after["p50"] <= post["p50"] else
           "So the push path is the larger part. ")
        + "In the push path, the one step that could go is the hub's read: a notice that "
        "carried the game's new state would save it, but the bus carries no record by design "
        "(DynamoDB is the record)."
    )  # fmt: skip


def why_waiting(results: dict[str, Any]) -> str:
    push = results["push"]
    w = push["waiting"]
    steady = steady_waiting(w)
    if not w["page_streams"]:
        return "The game page opened no stream of its own: it polled every 2 s, as without push."
    return (
        f"By the schedules: the waiting page's backstop poll every {steady['backstop_s']:.0f} s "
        f"at {num(steady['per_poll'])} RCU (its GetItem, and the session's re-check, as a poll "
        "comes more than a minute after the page's last request) = "
        f"{num(steady['polls'])} RCU a minute, and the streams' session re-checks "
        f"{num(steady['rechecks'])}. What would close it: a longer backstop period, or a "
        "backstop poll that skips the session re-check (the stream re-checks every "
        f"{STREAM_RECHECK_SECONDS} s anyway and is ended at once by a revocation notice)."
    )


def why_streams(results: dict[str, Any]) -> str:
    push = results["push"]
    s = push["streams"]
    quiet = [r["p99_ms"] for r in s["runs"]["without"]]
    loaded = [r["p99_ms"] for r in s["runs"]["with"]]
    moves = min(r["moves"] for r in s["runs"]["without"] + s["runs"]["with"])
    return (
        f"The runs without streams, before and after, gave p99 {num(quiet[0])} and "
        f"{num(quiet[1])} ms, the runs with them {num(loaded[0])} and {num(loaded[1])}: a p99 "
        f"of {moves}+ moves is their 2 or 3 slowest, so one stall decides it, and here "
        f"{_load(push)}. The open streams themselves cost the stream processes a heartbeat per "
        "stream every 15 s and a scan of their streams per notice; the moves run in the web "
        "processes. Longer or repeated runs (`--push-load-seconds`) narrow it down."
    )
