"""Two people in two browsers play through the UI alone, directly and behind nginx."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import boto3
import pytest
from playwright.sync_api import expect

from .conftest import PlayerFactory
from .players import SEE_MOVE_WITHIN, TIE, WIN, BrowserPlayer, board_after, play
from .stack import REGION, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]


def two_games(a: BrowserPlayer, b: BrowserPlayer, shots: Path, label: str) -> list[float]:
    """Sign up, invite, accept, play to a win; then a new invitation and a tie."""
    a.sign_up()
    b.sign_up()

    a.invite(b)
    b.accept(a)  # the invited player is X and moves first
    seen = play(b, a, WIN)
    expect(b.status).to_have_text("You won!")
    expect(a.status).to_have_text(f"{b.name} won.")
    assert a.board() == b.board() == board_after(WIN)

    b.invite(a)  # no rematch button: a fresh invitation, the other way round
    a.accept(b)
    seen += play(a, b, TIE)
    for player in (a, b):
        expect(player.status).to_have_text("It's a tie.")
        assert player.board() == board_after(TIE)
        player.screenshot(shots / f"{label}-final-{'host' if player is b else 'guest'}.png")
        assert player.failures == []
    return seen


def test_two_browsers_play_a_win_then_a_tie(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    instance = whole_stack.instances[0]
    seen = two_games(players(instance.url), players(instance.url), artifacts, "direct")
    assert max(seen) < SEE_MOVE_WITHIN


def test_through_nginx_both_instances_serve_one_session(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    a, b = players(whole_stack.url), players(whole_stack.url)
    two_games(a, b, artifacts, "nginx")

    hits = whole_stack.hits()
    instances = {i.addr for i in whole_stack.instances}
    for player in (a, b):
        mine = [h for h in hits if h.player == player.name]
        served_by = {h.upstream for h in mine}
        assert served_by == instances, f"{player.name} was served only by {served_by}"
        failed = [h for h in mine if h.status >= 400 or "," in h.upstream]
        assert failed == [], f"requests that failed or were retried: {failed}"


def test_instances_started_at_once_share_one_set_of_tables(whole_stack: Stack) -> None:
    """Both instances (four workers) started together against an empty DynamoDB Local."""
    # The stack started both instances at the same instant, and waited for both.
    for instance in whole_stack.instances:
        with urllib.request.urlopen(f"{instance.url}/health", timeout=5) as health:
            assert health.status == 200
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=whole_stack.dynamodb_url)
    tables = dynamodb.list_tables()["TableNames"]
    assert sorted(tables) == ["Avatars", "Games", "Users"]
    logs = "".join(i.log.read_text() for i in whole_stack.instances)
    for table in tables:
        created = logs.count(f'"message": "Created table {table} (deletion protection on)"')
        assert created == 1, f"{table} created {created} times"
        status = dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
        assert status == "ACTIVE"
