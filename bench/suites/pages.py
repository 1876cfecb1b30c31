"""Page weight: bytes the home and game pages transfer with a cold cache, in chromium."""

from __future__ import annotations

import logging
from typing import Any

from bench import load
from bench.flows import picture
from bench.harness.context import Context
from bench.harness.figures import cell
from bench.harness.rows import Row
from bench.suites.common.browsers import page_weights

STAGE = "server"
KB = 1000  # page weight target: 50 KB = 50,000 bytes
log = logging.getLogger("bench")


def run(context: Context) -> dict[str, Any]:
    """Weigh both pages `runs` times, between two players with pictures."""
    base_url = context.stack.app_url
    log.info("page weight, %d runs", context.runs)
    host, opponent = load.register_players(base_url, ["pagehost", "pageopp"])
    for player in (host, opponent):  # pictures beside the names: the heavier pages
        load.ApiBrowser(base_url, player).upload_picture(picture())
    game = load.ApiBrowser(base_url, host)
    created = game.take(game.post("/api/games", {"opponent": opponent.name}), 201)
    other = load.ApiBrowser(base_url, opponent)
    other.take(other.post(f"/api/games/{created['id']}/accept", None), 200)
    # The opponent moves first, so their page waits for nothing and does not poll.
    weighed = [page_weights(base_url, opponent.name, created["id"]) for _ in range(context.runs)]
    return {"pages": weighed}


def rows(results: dict[str, Any]) -> list[Row]:
    return [
        Row(
            f"{title} page, KB transferred (cold cache)",
            [p[name]["bytes"] / KB for p in results["pages"]],
            "≤ 50",
            lambda v: v <= 50,
            "Bootstrap 3 CSS + JS on every page",
        )
        for name, title in (("home", "Home"), ("game", "Game"))
    ]


def method(results: dict[str, Any]) -> list[str]:
    return [
        "- **Pages**: headless Debian chromium, a fresh context (empty cache) per page, signed "
        "in; bytes are the DevTools protocol's `encodedDataLength` of every response (headers "
        "included) until the network is idle. Both players have uploaded a picture, so the pages "
        "carry their pictures. The game page is shown to the player whose turn it is, so it does "
        "not poll.",
    ]


def sections(results: dict[str, Any]) -> list[str]:
    return ["## Pages", "", *_table(results["pages"]), ""]


def _table(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| page | requests | bytes | by resource type (bytes) |", "|---|---|---|---|"]
    for name in ("home", "game"):
        got = [r[name] for r in runs]
        kinds = sorted({k for g in got for k in g["by_type"]})
        parts = ", ".join(f"{k} {cell([g['by_type'].get(k, 0) for g in got])}" for k in kinds)
        lines.append(
            f"| {name} | {cell([g['requests'] for g in got])} | "
            f"{cell([g['bytes'] for g in got])} | {parts} |"
        )
    return lines
