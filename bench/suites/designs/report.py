"""The report's section on table designs that write less per game (measure.py)."""

from __future__ import annotations

from typing import Any

from bench.harness.figures import game_bill, num

LISTS = "lists: no invitation flood buries a game in progress"
ONCE = "results counted exactly once (one transaction)"
LADDER = "leaderboard: a Query whose cost does not grow with players"
# What each design keeps or gives up, and what moving a live table to it takes.
NOTES = {
    "today": ("every guarantee", "–"),
    "host_stays": (
        "every guarantee: the host's LIVE_ entries are their own sent invitations (at most "
        "20, the cap) and their games, so no one else can add to them. Pending sent invitations "
        "are told from games only by the home page's batch read (+0.5 RCU per pending sent "
        "invitation per home load), and the cap's count must read each live game created in "
        "the expiry window (+0.5 RCU per such game per invite)",
        "a new index HostId-HostDate-index; release 1 writes HostDate beside StatusDate; a paced "
        "backfill gives every game HostDate (1 WCU + 1 index put each); release 2 reads the new "
        "index; only when every instance runs it is HostId-StatusDate-index dropped (until then "
        "the accept still pays for it, so nothing is saved before the drop). migrate never "
        "drops an index today, and the instance policy names each index: both need a change",
    ),
    "host_status": (
        "every guarantee, with no extra reads: the projected Status tells a sent invitation "
        "from a game, so the accept rewrites the host's entry in place (1 WCU, not 2)",
        "as for the host key that stays",
    ),
    "inbox": (
        "every guarantee, but it saves nothing alone: the accept deletes the inbox entry and "
        "puts the opponent's game entry (2 WCU, as the move it replaces), and every home load "
        "makes a third query (+0.5 RCU)",
        "two new indexes (OpponentDate, InvitedDate) and a backfill of both; the old opponent "
        "index dropped after every instance runs the new code",
    ),
    "coarse_kept": (
        "breaks the leaderboard's: a bucket's entries share one sort key, so the exact top 20 "
        "needs the whole top bucket read, and as everyone starts at 1200 one bucket can hold "
        "every player (see the leaderboard's reads below). Saves 1 WCU per player whose "
        "rating stays in its bucket (estimated, not measured: a change of about 16 points "
        "crosses a 100-point boundary about one time in six, a 25-point one two times in "
        "three, so about 1.7 WCU a game with 100 points, 0.7 with 25)",
        "no new index: the leaderboard's reader first (read to the bucket's end), then every "
        "ranked player's Rank rewritten (1 WCU + an index move each)",
    ),
    "coarse_crossed": ("as above: a crossing is the delete and put of today", "as above"),
    "outside": (
        "breaks exactly once: the game's update and the two Users updates are three calls, so "
        "a crash or a timeout between them leaves a finished game uncounted, and a retry can "
        "count it twice unless each Users item remembers the games it counted; repairing "
        "that takes a sweep of finished games, which costs more than the 3 WCU saved",
        "code only",
    ),
    "host_inbox": (
        "every guarantee; the accept saves the same 2 WCU as the host key alone, "
        "and every home load makes a third query",
        "both migrations above",
    ),
    "stable": (
        "breaks the lists': with invitations in the inbox, the game indexes keep one key "
        "from the accept (the host's: from the invite) to the finish and the finish writes "
        "only the projected Winner and FinalBoard (1 WCU each, not 2); but games in progress "
        "no longer sort before finished ones, so 40 newer finished games push an idle game "
        "in progress off the home page's page of entries",
        "both migrations above, and the lists' code",
    ),
    "cheapest": (
        "the 7 WCU (35 of cost) the target needs, but it breaks exactly once and "
        "the leaderboard's (see above)",
        "all of the above",
    ),
}
FLOW_LOADS = 5  # home loads in the benchmark's flow: both after login, the opponent's, both after


INTRO = (
    "Each design gets throwaway tables of its own on DynamoDB Local (its own indexes and "
    "attributes), two players who have played each other twice, then one 7-move win whose writes "
    "and home-page reads are made for real, as the app makes them, and billed as AWS bills them "
    "(bench/suites/designs/, bench/harness/billing/). Reads every design makes alike (the pair "
    "lock, the game and ratings before the finish, the polls) are left out; the cost per win "
    "adds each design's difference in WCU and RCU to the app's own bill above. `python -m bench "
    "--only designs` runs this section alone."
)


def markdown(results: dict[str, Any]) -> list[str]:
    """The section: each design's AWS-billed writes by step, its reads, what it keeps."""
    measured = results.get("designs")
    if not measured:
        return []
    designs = measured["designs"]
    today = next(d for d in designs if d["key"] == "today")
    bases = {
        how: game_bill(results, key)
        for key, how in (("win", "polling"), ("win_push", "push"))
        if results.get("capacity", {}).get(key)
    }
    head = "| design | invite | accept | moves | finish | WCU | vs today | home RCU, the flow's "
    head += f"{FLOW_LOADS} loads | host's home, 1 sent invitation pending | cost vs today |"
    head += "".join(f" cost per win ({how}) |" for how in bases)
    return [
        "## Writing less per game: the designs measured (issue 19)",
        "",
        INTRO,
        "",
        head,
        "|---" * (10 + len(bases)) + "|",
        *(_line(d, today, list(bases.values())) for d in designs),
        "",
        f"What each keeps ({LISTS}; {ONCE}; {LADDER}), and what moving a live table to it takes:",
        "",
        *(_keeps(d) for d in designs),
        *_ladder(measured.get("ladder")),
        "",
    ]


def _keeps(d: dict[str, Any]) -> str:
    keeps, migrating = NOTES.get(d["key"], ("–", "–"))
    return f"- **{d['title']}**: {keeps}. Migration: {migrating}."


def _line(d: dict[str, Any], today: dict[str, Any], bases: list[Any]) -> str:
    """One design: WCU by step, against today, its home reads, and its cost per win."""
    wcu = [d["steps"].get(s, {}).get("wcu", 0.0) for s in ("invite", "accept", "moves", "finish")]
    delta = 5 * (d["wcu"] - today["wcu"]) + d["flow_rcu"] - today["flow_rcu"]
    cells = [
        *map(num, wcu),
        num(d["wcu"]),
        _signed(d["wcu"] - today["wcu"]),
        num(d["flow_rcu"]),
        num(d["home_pending_host_rcu"]),
        _signed(delta),
    ]
    cells += [num(b["cost"] + delta) if b else "–" for b in bases]
    return f"| {d['title']} | " + " | ".join(cells) + " |"


def _ladder(ladder: dict[str, Any] | None) -> list[str]:
    """The leaderboard's reads by number of players, exact Rank and coarse buckets."""
    if not ladder:
        return []
    found = zip(ladder["players"], ladder["exact"], ladder["coarse"], strict=True)
    return [
        "",
        "The leaderboard's reads (top 20 of 4 shards, AWS RCU), players one game from the start: "
        + "; ".join(
            f"{n:,} players: exact Rank {num(e)}, 100-point buckets {num(c)}" for n, e, c in found
        )
        + ".",
    ]


def _signed(x: float) -> str:
    return "0" if x == 0 else ("+" if x > 0 else "−") + num(abs(x))
