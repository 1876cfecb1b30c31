"""The push section's tables and paragraphs, one function per heading of report.py."""

from __future__ import annotations

import re
from typing import Any

from bench.harness.figures import num
from bench.harness.stack import ROOT
from bench.suites.push.settings import STREAMS_PER_PLAYER, TARGET_STREAMS_P99_RATIO
from tictactoe.web.streams import RECHECK_SECONDS as STREAM_RECHECK_SECONDS

MB = 1e6
GAME_JS = ROOT / "tictactoe" / "static" / "game.js"


def _ms(stats: dict[str, float] | None, key: str) -> str:
    return num(stats[key]) if stats else "–"


def latency_table(push: dict[str, Any]) -> list[str]:
    lines = [
        "| run | moves | click → other screen p50 / p95 / max ms | same, next frame p50 / p95 "
        "| POST answered → other screen p50 / p95 | click → POST answered p50 | click → stream "
        "event in the other browser p50 / p95 | pages' own stream |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, key in (
        ("push on", "latency_on"),
        ("push on, sign-up flood", "latency_flooded"),
        ("push off (2 s polling)", "latency_off"),
    ):
        run = push[key]
        spans = ("screen", "frame", "after_post", "post", "event")
        screen, frame, after, post, event = (run[k] for k in spans)
        own = (
            "yes"
            if run["page_streams"]
            else ("no (a probe stream of ours)" if run["probe"] else "no")
        )
        lines.append(
            f"| {label} | {run['moves']} | {_ms(screen, 'p50')} / {_ms(screen, 'p95')} / "
            f"{_ms(screen, 'max')} | {_ms(frame, 'p50')} / {_ms(frame, 'p95')} | "
            f"{_ms(after, 'p50')} / {_ms(after, 'p95')} | {_ms(post, 'p50')} | "
            f"{_ms(event, 'p50')} / {_ms(event, 'p95')} | {own} |"
        )
    return [*lines, *_flood_lines(push)]


def _flood_lines(push: dict[str, Any]) -> list[str]:
    """Pages loaded again, and what the sign-up flood got."""
    lines: list[str] = []
    failed = {
        label: push[key].get("page_failures", [])
        for label, key in (
            ("push on", "latency_on"),
            ("flooded", "latency_flooded"),
            ("push off", "latency_off"),
        )
    }
    if any(failed.values()):
        lines += [
            "",
            "Game pages that had to be loaded again: "
            + "; ".join(f"{label}: {', '.join(f)}" for label, f in failed.items() if f)
            + ".",
        ]
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
    return {
        "per_poll": per_poll,
        "measured_poll": bool(polls),
        "backstop_s": backstop,
        "polls": polling,
        "rechecks": rechecks,
        "total": polling + rechecks,
    }


def waiting_lines(push: dict[str, Any]) -> list[str]:
    w = push["waiting"]
    kinds = (
        ", ".join(
            f"{k} {v['calls']} calls / {num(v['rcu'])} RCU" for k, v in sorted(w["by_type"].items())
        )
        or "none"
    )
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
    return [*lines, *(_schedules(w, steady) if w["page_streams"] else [])]


def _schedules(w: dict[str, Any], steady: dict[str, Any]) -> list[str]:
    """What a game that waits long pays by the schedules: backstop polls, session re-checks."""
    return [
        f"By the schedules, for a game that waits long: the waiting page's backstop poll "
        f"every {steady['backstop_s']:.0f} s at {num(steady['per_poll'])} RCU "
        + (
            "(as measured here, the poll and its session re-check)"
            if steady["measured_poll"]
            else "(none fell in this window: a GetItem of the "
            "game and one of the session re-check assumed)"
        )
        + f" = {num(steady['polls'])} RCU a minute, and each stream's session re-check "
        f"every {STREAM_RECHECK_SECONDS} s (0.5 RCU) = {num(steady['rechecks'])} for two: "
        f"**{num(steady['total'])} RCU per game-minute**. "
        + (
            f"The window ({w['seconds']:.0f} s) is shorter than the re-check's period, so "
            "the measured figure leaves the re-checks out"
            if w["seconds"] < STREAM_RECHECK_SECONDS
            else ""
        )
        + (
            " and may miss a backstop poll (it counts the periods that fell inside)."
            if w["seconds"] < 2 * steady["backstop_s"]
            else "."
        ),
        "",
    ]


def streams_lines(push: dict[str, Any]) -> list[str]:
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
    ]
    return [*lines, *_streams_runs(s)]


def _streams_runs(s: dict[str, Any]) -> list[str]:
    """Move latency with the streams open and without, before and after."""
    opened = s["opened"]
    lines = [
        "| 4 pairs moving | moves | moves/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    order = [("without streams, before", s["runs"]["without"][0])]
    order += [
        (f"with {opened['open']} open, run {i}", r) for i, r in enumerate(s["runs"]["with"], 1)
    ]
    order += [("without streams, after", s["runs"]["without"][1])]
    for label, r in order:
        lines.append(
            f"| {label} | {r['moves']} | {r['moves_per_s']:.1f} | {r['p50_ms']:.1f} | "
            f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {len(r['errors'])} |"
        )
    quiet = [r["p99_ms"] for r in s["runs"]["without"]]
    lines += [
        "",
        f"p99 with ÷ without (run 1 against the run before, run 2 against the run "
        f"after): {', '.join(f'{x:.2f}' for x in s['p99_ratios'])}.",
    ]
    if max(quiet) > TARGET_STREAMS_P99_RATIO * min(quiet):
        lines.append(
            f"The two runs without streams differ by {max(quiet) / min(quiet):.1f}×, more than "
            "the target's margin, so on this machine at this time the ratio says more about "
            "the machine than about the streams (see the load average under Machine)."
        )
    lines.append("")
    return lines


def pace_lines(push: dict[str, Any]) -> list[str]:
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
