"""Why a push target was missed: the explanations bench/harness/notes.py gives under the summary."""

from __future__ import annotations

from typing import Any

from bench.harness.figures import num
from bench.suites.push.sections import steady_waiting
from tictactoe.web.streams import RECHECK_SECONDS as STREAM_RECHECK_SECONDS


def _load(push: dict[str, Any]) -> str:
    return (
        f"the 1-minute load average was {push['load_before']:.1f} as the push part began "
        f"and {push['load_after']:.1f} as it ended, on 2 cores: other work shared the CPU "
        "with nginx, gunicorn, DynamoDB Local and chromium"
    )


def _hub(on: dict[str, Any]) -> str:
    """How often the hubs read the game, and how long a read took."""
    used = on.get("dynamodb", {})
    reads = used.get("by_operation", {}).get("stream:outside:GetItem", 0)
    return (
        f"; the hubs read the game {reads} times for {on['moves']} moves (once per stream "
        "process holding a stream of it), "
        f"{num(used['mean_ms']['stream:outside:GetItem'])} ms each on average"
        if reads
        else ""
    )


def why_latency(results: dict[str, Any]) -> str:
    push = results["push"]
    on, off, flooded = push["latency_on"], push["latency_off"], push["latency_flooded"]
    if not on["page_streams"]:
        return (
            "The game page opened no stream of its own (game.js polled), so the screen "
            "figures are polling's; the stream event column times the push path alone."
        )
    post, after, event, hub = on["post"], on["after_post"], on["event"], _hub(on)
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
        + (
            "So most of the time over the target is the move's own round trip on a shared "
            "2-core machine (the throughput runs time the same request), not what push adds "
            "after it. "
            if after["p50"] <= post["p50"]
            else "So the push path is the larger part. "
        )
        + "In the push path, the one step that could go is the hub's read: a notice that "
        "carried the game's new state would save it, but the bus carries no record by design "
        "(DynamoDB is the record)."
    )


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
