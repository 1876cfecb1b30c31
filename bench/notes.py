"""The report's explanations: why a target was missed and what would close it, and the
cost model at on-demand prices."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from . import push_report
from .figures import calls_per_move, cell, cpu_per_move, num
from .report_bill import game_bill
from .results import AWS_MODEL


def missed_notes(summary: list[Any], results: dict[str, Any]) -> list[str]:
    """Say, for each target missed, by how much, why, and what would close it."""
    missed = [r for r in summary if r.ok is not None and not r.ok(r.median)]
    if not missed:
        return ["Every target is met.", ""]
    lines = ["### Targets missed: by how much, why, what would close it", ""]
    told: dict[str, str] = {}
    for row in missed:
        found = (explain(results) for key, explain in WHY.items() if key in row.name)
        why = next((text for text in found if text), "")
        if why in told:
            why = f"Same cause as for {told[why]}."
        else:
            told[why] = f"'{row.name}'"
        lines.append(f"- **{row.name}**: {cell(row.values)} against {row.target}. {why}")
    return [*lines, ""]


def _by_type(results: dict[str, Any], game: str) -> str:
    first = results["capacity"][game][0]["capacity"]["by_type"]
    return ", ".join(f"{kind} {num(used['rcu'])}" for kind, used in first.items() if used["rcu"])


def _rcu_why(results: dict[str, Any]) -> str:
    return (
        f"Where the read units go (established players, a 7-move win): {_by_type(results, 'win')}"
        " RCU. The flow loads home 5 times, each a query per index (0.5 RCU each once the "
        "player has games in both roles) plus the open games' batch read; 8 polls see the accept "
        "and the 7 moves; 2 logins read the player; 2 game pages load. For the first game of new "
        "accounts (a fresh database, as the sample's figures presumably were) DynamoDB Local "
        "bills the index queries that find nothing 0 units. The move that ends the game now "
        "also reads the game and both ratings (+1.5 RCU, issue 12). "
        "Closing it for established players means fewer reads in the flow itself: e.g. render "
        "the game page straight from the invite's and the accept's own write results instead of "
        "reading the game again after the redirect (-1.0), or keep the home lists in one index "
        "(one query instead of two, -2.5), which would cost a second index item per game, i.e. "
        "more writes at 5x the price; not worth it."
    )


def _tie_why(results: dict[str, Any]) -> str:
    return (
        "A tie has two more moves (+2 WCU, +10 in cost) and two more polls (+1 RCU) than the "
        "7-move win the targets were set for; each move is already one write of the table alone, "
        "so nothing is left to remove per move. It also pays for the invitation safeguards, as "
        "the win does (see 'WCU per 7-move win'). "
        "In cost it is still more than twice as cheap as the sample's own tie (cost 212)."
    )


def counting(results: dict[str, Any]) -> tuple[float, float]:
    """Return DynamoDB Local's WCU for a finishing move, and AWS's bill for the same move
    (measured by bench/billing_meter.py; the hand count of bench/results.py without it)."""
    runs = (results.get("counting") or {}).get("finishing move (win)") or []
    local = statistics.median(r["total"]["wcu"] for r in runs) if runs else 0.0
    billed = [r["aws"]["total"]["wcu"] for r in runs if "aws" in r]
    return local, statistics.median(billed) if billed else AWS_MODEL["established players"]


def billed_game(results: dict[str, Any], wcu: float, rcu: float) -> tuple[float, float]:
    """AWS's WCU and RCU for the 7-move win: measured, or Local's with the transaction fixed."""
    measured = game_bill(results)
    if measured is not None:
        return measured["wcu"], measured["rcu"]
    local, aws = counting(results)
    return wcu - local + aws, rcu


def _invitations_why(results: dict[str, Any]) -> str:
    local, aws = counting(results)
    wins = results["capacity"]["win"]
    game = statistics.median(g["capacity"]["total"]["wcu"] for g in wins)
    reads = statistics.median(g["capacity"]["total"]["rcu"] for g in wins)
    billed, reads = billed_game(results, game, reads)
    return (
        "Two issues' safeguards, which the targets of issue 6 predate (15 WCU, cost 87 then). "
        f"Issue 12 (results counted exactly once): the move that ends a game is one "
        f"TransactWriteItems that finishes the game and counts it in both players' Users items "
        f"and the leaderboard index. DynamoDB Local reports it as {local:g} WCU; as AWS bills it, "
        f"{aws:g} WCU (see 'Counting results'), where the finishing move cost 5 before. So on "
        f"AWS's bill this game is {billed:g} WCU and cost {5 * billed + reads:g} with its "
        "reads, against the sample's 34 WCU and cost 180; in DynamoDB Local's units it looks "
        "worse than the sample. "
        "Issue 10 (invitations that cannot be abused): accepting moves the game from INVITED_ "
        "to OPEN_ in both indexes (+4 WCU), so that in-progress games sort above any number of "
        "invitations; the invite takes the pair's lock (+1 WCU) and reads it and the game it "
        "names (+1 RCU). What would close it: counting outside a transaction saves 3 WCU but "
        "leaves a window where a crash loses a result or counts it twice; dropping the "
        "leaderboard index saves 4 but makes the leaderboard a Scan. Neither is worth it."
    )


def _cpu_why(results: dict[str, Any]) -> str:
    runs = results["throughput"]["4"]
    app, db, gen = (
        statistics.median(x) for x in zip(*(cpu_per_move(r) for r in runs), strict=True)
    )
    total, budget = app + db + gen, 2000 / 156
    per_move = statistics.median(r["requests"] / (r["moves_sent"] or 1) for r in runs)
    m = results["machine"]
    one_call = calls_per_move(results) <= 1.01
    return (
        f"Why: CPU. At 4 pairs each move costs {total:.0f} ms of CPU in all: {app:.1f} ms in "
        f"the app (Flask and botocore, for the move, the other player's poll and a share of "
        f"invite and accept: {per_move:.1f} requests), {db:.1f} ms in DynamoDB Local (Java) and "
        f"{gen:.1f} ms in the load generator. 2 cores give 2,000 ms a second, so with nothing "
        f"else running the ceiling is about {2000 / total:.0f} moves/s; this run also shared "
        f"the machine with other work (load average {m['load_before']:.1f} before, "
        f"{m['load_after']:.1f} after), hence the spread between runs. "
        + ("A move is already one DynamoDB call. " if one_call else "")
        + f"What would close it: 156 moves/s needs under {budget:.1f} ms per move in all three "
        f"processes; DynamoDB Local and the load generator alone take {db + gen:.1f}, which "
        f"leaves the app about {max(budget - db - gen, 0) / per_move:.1f} ms a request, against "
        f"{app / per_move:.1f} now. Profiling the app in-process puts about two thirds of its "
        "CPU in botocore (serializing, SigV4 signing, sending and parsing its one call per "
        "request), the rest in Flask, CSRF, the session and JSON; switching off the session's "
        "refresh on every response or botocore's parameter validation made no measurable "
        "difference. So the app cannot give up that much; the realistic way is "
        "not to count the database's CPU against the app's 2 cores: on DynamoDB itself, or "
        f"with DynamoDB Local on another machine, the app's {app:.1f} ms alone allows about "
        f"{2000 / app:.0f} moves/s."
    )


def _calls_why(results: dict[str, Any]) -> str:
    ops = results["calls_under_load"]["by_operation"]
    moves = {k: n for k, n in ops.items() if k.startswith("move:")}
    ending = moves.get("move:TransactWriteItems", 0)
    plain = moves.get("move:UpdateItem", 0)
    return (
        f"The move requests made {moves}. A move that does not end the game is one UpdateItem "
        f"({plain} here). The move that ends it ({ending} here) reads the game and both "
        "players' ratings, then finishes and counts it in one TransactWriteItems (issue 12): "
        "3 calls, once per game. Nothing to close: that is the price of counting each result "
        "exactly once."
    )


def _avatar_why(results: dict[str, Any]) -> str:
    return (
        "The avatar benchmark is bench/avatars.py's own (wall-clock, 7 runs in fresh "
        "processes); its times rise with the load average noted under Machine."
    )


def _pictures_why(results: dict[str, Any]) -> str:
    with_pictures = results["capacity"]["win_pictures"][0]["capacity"]
    plain = results["capacity"]["win"][0]["capacity"]["by_type"]
    extra = {
        kind: used["rcu"] - plain.get(kind, {"rcu": 0.0})["rcu"]
        for kind, used in with_pictures["by_type"].items()
    }
    avatars = with_pictures["by_target"].get("Avatars", {"calls": 0, "rcu": 0.0})
    if not avatars["rcu"]:
        return ""  # pictures cost nothing: the cause is the one without them
    where = ", ".join(f"{kind} +{num(rcu)}" for kind, rcu in extra.items() if rcu > 0)
    return (
        f"The pictures cost {num(avatars['rcu'])} RCU in {avatars['calls']} reads of the "
        f"Avatars table ({where} RCU): every game JSON (each move's answer and each poll that "
        "answers 200) and every page looks up both players' picture hashes, 0.5 RCU per "
        "player. Fix: leave the picture URLs out of the move and poll answers (the page has "
        "them from its first load, and they do not change during a game), which takes the "
        "moves' and polls' share away and makes a move one call again; for pages, keep the "
        "hashes per process for a short while (a new picture shows within that time), or "
        "name pictures by player in URLs revalidated with an ETag, so that a page needs no read."
    )


def _bill_why(results: dict[str, Any]) -> str:
    found = results["capacity"].get("win_push") or results["capacity"]["win"]
    win = found[0]["capacity"]["aws"]
    spent = ", ".join(
        f"{kind} {num(u['wcu'])} WCU" for kind, u in win["by_type"].items() if u["wcu"]
    )
    return (
        f"As AWS bills the first run's game: {spent}, and {num(win['total']['rcu'])} RCU in all "
        "(per request and per table in 'What AWS bills'). The writes are the invitation and its "
        "lock, the accept moving both list entries, one write per move, and the transaction "
        "that finishes the game and counts it. The reads are already few: with push on no page "
        "polls, and a stream costs one read when it opens. The designs that would write less "
        "were measured ('Writing less per game'): the one that keeps every guarantee (the "
        "host's list entry keeps its key from the invite to the finish) saves 2 WCU, 10 of "
        "cost, and needs a new index, a backfill and a two-release migration; the target's 35 "
        "are reached only by also counting results outside the transaction and bucketing the "
        "leaderboard's Rank, which break 'counted exactly once' and the leaderboard's bounded "
        "Query. So the target is left missed rather than a guarantee given up."
    )


def _browser_why(results: dict[str, Any]) -> str:
    found = ((results.get("compare") or {}).get("profiles") or {}).get("current", {})
    parts = []
    for kind in ("move", "stream event (hub)", "stream (opened)", "game_page", "home"):
        got = found.get("requests", {}).get(kind)
        if got:
            top = ", ".join(f"{g} {100 * s:.0f}%" for g, s in list(got["groups"].items())[:3])
            parts.append(f"{kind} ({num(got['ms_per'])} ms a {got['per']}): {top}")
    said = (
        "What the profile of the current side says (see 'Profiles'): " + "; ".join(parts) + "."
        if parts
        else "No profile was recorded (py-spy missing)."
    )
    return f"{said} {_cuts_said(results.get('cuts'))}" + (
        " What stands in the way: botocore's share is one DynamoDB call's fixed work (SigV4 "
        "signing, its event hooks, http.client and urllib3, parsing the JSON answer) repeated "
        "for every call, spread over hundreds of functions with no hot spot, and the pages "
        "that make several calls (home: two queries and a batch read; invite: six calls) "
        "weigh most per move. Closing the gap takes fewer calls per request (the table "
        "designs of 'Writing less per game' price what each would cost in writes) or a "
        "lighter DynamoDB client than botocore, for which there is no well-kept library."
    )


def _cuts_said(cuts: dict[str, Any] | None) -> str:
    """One sentence on what the measured per-request cuts gave (bench/cuts.py)."""
    if not cuts:
        return ""
    rows, said = cuts["rows"], []
    for row, what in (
        ("all four", "the four cuts of 7fcaba5 together"),
        ("orjson", "an orjson JSON provider (not adopted)"),
    ):
        got = rows.get(row)
        if got:
            said.append(
                f"{what} {got['ratio']['move']:.2f} of a move's CPU and "
                f"{got['ratio']['poll']:.2f} of a poll's"
            )
    noise = rows.get("nothing (noise)")
    tail = f" (the noise row: {noise['ratio']['move']:.2f})" if noise else ""
    return (
        "Measured one by one ('App CPU per request'): " + "; ".join(said) + tail + "."
        if said
        else ""
    )


WHY: dict[str, Callable[[dict[str, Any]], str]] = {
    "AWS-billed cost": _bill_why,
    "Browser flow": _browser_why,
    "players with pictures": _pictures_why,
    "RCU per 7-move win": _rcu_why,
    "WCU per 7-move win": _invitations_why,
    "Cost (5×WCU + RCU) per 7-move win": _invitations_why,
    "RCU per 9-move tie": _tie_why,
    "Cost (5×WCU + RCU) per 9-move tie": _tie_why,
    "WCU per 9-move tie": _tie_why,
    "Moves/s": _cpu_why,
    "Move p99": _cpu_why,
    "CPU ms per move": _cpu_why,
    "DynamoDB calls per move": _calls_why,
    "Avatars": _avatar_why,
    # The push figures (bench/push.py); their explanations live with their report.
    "the other screen": push_report.why_latency,
    "RCU per waiting game-minute": push_report.why_waiting,
    "open streams ÷ without": push_report.why_streams,
}
