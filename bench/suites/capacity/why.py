"""Why a capacity target was missed, and what would close it (the report's notes)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from bench.harness.figures import billed_game, counting, num


def _by_type(results: dict[str, Any], game: str) -> str:
    first = results["capacity"][game][0]["capacity"]["by_type"]
    return ", ".join(f"{kind} {num(used['rcu'])}" for kind, used in first.items() if used["rcu"])


def _rcu_why(results: dict[str, Any]) -> str:
    return (
        f"Where the read units go (established players, a 7-move win): {_by_type(results, 'win')}"
        " RCU. The flow loads home 5 times, each a query per index (0.5 RCU each once the "
        "player has games in both roles) plus the open games' batch read; 8 polls see the accept "
        "and the 7 moves; 2 logins read the player; 2 game pages load, and read nothing: each "
        "shows the game its post's write answered (issue 27, tictactoe/web/landing.py; it was "
        "-1.0). For the first game of new accounts (a fresh database, as the sample's figures "
        "presumably were) DynamoDB Local bills the index queries that find nothing 0 units. The "
        "move that ends the game now also reads the game and both ratings (+1.5 RCU, issue 12). "
        "Closing the rest for established players means fewer reads in the flow itself: keep "
        "the home lists in one index (one query instead of two, -2.5), which would cost a "
        "second index item per game, i.e. more writes at 5x the price; not worth it."
    )


def _tie_why(results: dict[str, Any]) -> str:
    return (
        "A tie has two more moves (+2 WCU, +10 in cost) and two more polls (+1 RCU) than the "
        "7-move win the targets were set for; each move is already one write of the table alone, "
        "so nothing is left to remove per move. It also pays for the invitation safeguards, as "
        "the win does (see 'WCU per 7-move win'). "
        "In cost it is still more than twice as cheap as the sample's own tie (cost 212)."
    )


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


WHY: dict[str, Callable[[dict[str, Any]], str]] = {
    "players with pictures": _pictures_why,
    "RCU per 7-move win": _rcu_why,
    "WCU per 7-move win": _invitations_why,
    "Cost (5×WCU + RCU) per 7-move win": _invitations_why,
    "RCU per 9-move tie": _tie_why,
    "Cost (5×WCU + RCU) per 9-move tie": _tie_why,
    "WCU per 9-move tie": _tie_why,
}
