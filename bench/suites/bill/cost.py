"""The cost model at on-demand prices: a game, a minute of waiting, 1,000 concurrent games."""

from __future__ import annotations

import statistics
from typing import Any

from bench.harness.figures import SAMPLE, billed_game, capacity, counting, game_bill, num

# On-demand, us-east-1, Standard table class: the prices after AWS's November 2024 cut, as
# quoted from https://aws.amazon.com/dynamodb/pricing/on-demand/ by public write-ups dated
# May-October 2026 (AWS cannot be reached from here to check them).
PRICE_WRITE = 0.625 / 1e6  # USD per write request unit
PRICE_READ = 0.125 / 1e6  # USD per read request unit
GAME_MINUTES = 2  # assumed length of a game: invite, accept, ~15 s per move


def cost_model(results: dict[str, Any]) -> list[str]:
    """What a game, a minute of waiting and 1,000 concurrent games cost on demand."""
    wcu = statistics.median(capacity(results, "win", "wcu"))
    rcu = statistics.median(capacity(results, "win", "rcu"))
    wait = statistics.median(w["rcu_per_minute"] for w in results["waiting"])
    games = 1000 * 60 / GAME_MINUTES

    def hourly(w: float, r: float, per_minute: float) -> float:
        return games * (w * PRICE_WRITE + r * PRICE_READ) + 1000 * 60 * per_minute * PRICE_READ

    ours = hourly(wcu, rcu, wait)
    local, aws = counting(results)
    billed, billed_rcu = billed_game(results, wcu, rcu)
    sample = hourly(SAMPLE["win_wcu"], SAMPLE["win_rcu"], SAMPLE["wait_rcu_min"])
    return [
        "## Cost model",
        "",
        f"- A complete 7-move game: {num(wcu)} WCU + {num(rcu)} RCU = "
        f"${(wcu * PRICE_WRITE + rcu * PRICE_READ) * 1e6:.2f} per million games, in DynamoDB "
        f"Local's units. As AWS bills it (the transaction that ends it {aws:g} WCU, where Local "
        f"reports {local:g}; see 'What AWS bills'): {num(billed)} WCU + {num(billed_rcu)} RCU = "
        f"${(billed * PRICE_WRITE + billed_rcu * PRICE_READ) * 1e6:.2f} per million games.",
        f"- A minute of waiting: {num(wait)} RCU per game (one screen polls) = "
        f"${wait * PRICE_READ * 1e6:.2f} per million game-minutes.",
        f"- 1,000 concurrent games for an hour, each lasting {GAME_MINUTES} minutes "
        f"({games:,.0f} games, and one player of each always waiting): about ${ours:.2f} an "
        f"hour in Local's units, ${hourly(billed, billed_rcu, wait):.2f} as AWS bills it, against "
        f"${sample:.2f} for the classic sample's figures. The waiting figure also "
        "counts the polls that see moves, so this is a slight overestimate.",
        *_with_push(results, hourly),
        "- Prices: DynamoDB on-demand, us-east-1, Standard table class, $0.625 per million write "
        "request units and $0.125 per million read request units (AWS's on-demand pricing page, "
        "https://aws.amazon.com/dynamodb/pricing/on-demand/, as quoted by public write-ups dated "
        "May to October 2026, after the November 2024 price cut; AWS cannot be reached from "
        "here to check them). Storage and data transfer are not included.",
        "",
    ]


def _with_push(results: dict[str, Any], hourly: Any) -> list[str]:
    """The same hour with push on: pages on their streams, waiting at the push figure."""
    game = game_bill(results, "win_push")
    waiting = (results.get("push") or {}).get("waiting")
    if game is None or not waiting:
        return []
    wait = waiting["rcu_per_minute"]
    return [
        f"- The same hour with push on, as AWS bills it: a game {num(game['wcu'])} WCU + "
        f"{num(game['rcu'])} RCU (the pages see moves on their streams, not by polls) and "
        f"{num(wait)} RCU per waiting game-minute (the backstop poll and the streams' session "
        f"checks): about ${hourly(game['wcu'], game['rcu'], wait):.2f} an hour in DynamoDB; "
        "the push bus (ElastiCache Serverless Valkey on AWS) is billed apart, see docs/cost.md.",
    ]
