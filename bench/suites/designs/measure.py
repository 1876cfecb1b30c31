"""Table designs that write less per game, measured (issue 19).

Each design gets throwaway Games and Users tables of its own on DynamoDB Local (its own
indexes and attributes, shapes.py), two players who have played each other twice, then one
7-move win whose every write and home-page read is made for real (game.py) and billed as AWS
bills it, from the items before and after each call (bench/harness/billing/: the meter's
Biller, the model's rules), step by step: invite, accept, the
six plain moves, the finish, and the home loads around them.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3

from bench.flows import WIN_IN_7
from bench.harness.billing.meter import Biller
from bench.suites.designs.game import Play
from bench.suites.designs.ladder import measure_ladder
from bench.suites.designs.shapes import Design, tables

DESIGNS = (
    Design("today", "today"),
    Design("host_stays", "host key that stays", host_stays=True),
    Design(
        "host_status", "host key that stays, Status projected", host_stays=True, host_status=True
    ),
    Design("inbox", "inbox", inbox=True),
    Design("coarse_kept", "coarse rank, both buckets kept", bucket=100, ratings=(1250, 1250)),
    Design("coarse_crossed", "coarse rank, both buckets crossed", bucket=100, ratings=(1205, 1290)),
    Design("outside", "counting outside a transaction", transaction=False),
    Design("host_inbox", "host key that stays + inbox", host_stays=True, inbox=True),
    Design(
        "stable",
        "host key that stays + inbox + keys kept at the finish",
        host_stays=True,
        inbox=True,
        stable=True,
    ),
    Design(
        "cheapest",
        "host key that stays + coarse rank (kept) + outside a transaction",
        host_stays=True,
        bucket=100,
        ratings=(1250, 1250),
        transaction=False,
    ),
)
WRITES = ("invite", "accept", "moves", "finish")
# The home loads of the benchmark's flow (bench/flows.py): both players after logging in, the
# opponent before accepting, both at the end. "home pending, host" and "home playing" are
# extra, to show what a design changes there.
FLOW = (
    "home before",
    "invite",
    "home pending, opponent",
    "accept",
    "moves",
    "finish",
    "home after",
)


def client(endpoint_url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-west-2",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def measure_design(endpoint_url: str, design: Design) -> dict[str, Any]:
    """One design's 7-move win: AWS-billed units per step and per table/index."""
    peek, billed = client(endpoint_url), client(endpoint_url)
    tag = uuid.uuid4().hex[:8]
    definitions = tables(design, f"Games{tag}", f"Users{tag}")
    for definition in definitions:
        peek.create_table(**definition)
    try:
        play = Play(design, peek, peek, *(d["TableName"] for d in definitions))
        host, opponent = f"host{tag}", f"opponent{tag}"
        for player in (host, opponent):
            play.sign_up(player)
        play.game(host, opponent, WIN_IN_7)  # established players: a history, ratings
        play.game(opponent, host, WIN_IN_7)
        for player, rating in zip((host, opponent), design.ratings or (), strict=False):
            play.rate(player, rating)
        step = ["outside"]
        biller = Biller.install(billed, peek, lambda: step[0])
        play.client = billed
        play.game(host, opponent, WIN_IN_7, at=lambda name: step.__setitem__(0, name), homes=True)
        bill = biller.snapshot()
    finally:
        for definition in definitions:
            peek.delete_table(TableName=definition["TableName"])
    steps = {
        k: {"rcu": v["rcu"], "wcu": v["wcu"], "calls": v["calls"]}
        for k, v in bill["by_type"].items()
        if k != "outside"
    }
    return {
        "key": design.key,
        "title": design.title,
        "steps": steps,
        "by_target": bill["by_target"],
        **summary(steps),
    }


def summary(steps: dict[str, dict[str, float]]) -> dict[str, float]:
    """The game's WCU, the RCU of the flow's reads measured here, and the host's pending home."""

    def part(step: str, key: str) -> float:
        return steps.get(step, {}).get(key, 0.0)

    return {
        "wcu": sum(part(s, "wcu") for s in WRITES),
        "flow_rcu": sum(part(s, "rcu") for s in FLOW),
        "home_pending_host_rcu": part("home pending, host", "rcu"),
        "home_playing_rcu": part("home playing", "rcu"),
    }


def measure(endpoint_url: str) -> dict[str, Any]:
    """Every design's game, and the leaderboard's reads by number of players (exact, coarse)."""
    return {
        "designs": [measure_design(endpoint_url, d) for d in DESIGNS],
        "ladder": measure_ladder(endpoint_url, client),
    }
