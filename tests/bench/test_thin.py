"""bench/suites/thin: the minimal client answers the move and the poll as botocore does, one
short round of the suite runs to the end on DynamoDB Local, and its section says what the
client would save per move and whether that closes the gap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from bench.suites import thin
from bench.suites.thin import calls, counts, report, timing
from bench.suites.thin.client import Failed, Refused
from tests.conftest import make_settings, passthrough
from tictactoe.adapters import clients
from tictactoe.config import Settings


@pytest.fixture
def local(dynamodb_local_url: str) -> Iterator[Settings]:
    """Settings on this worker's DynamoDB Local; S3 stays moto's."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        yield make_settings(endpoint=dynamodb_local_url)


def test_the_thin_client_plays_a_move_and_refuses_a_stale_one(local: Settings) -> None:
    botocore = clients.dynamodb(local)
    table = "ThinClientTest"
    timing._create(botocore, table)
    botocore.put_item(TableName=table, Item=calls.game_item("g"))
    client = timing._thin(local, keep_signer=False)
    try:
        first, second = calls.moves(table, "g")[:2]
        moved = client.call("UpdateItem", first)["Attributes"]
        assert moved["Board"] == {"S": "X--------"} and moved["Turn"] == {"S": calls.HOST}
        with pytest.raises(Refused) as refused:
            client.call("UpdateItem", first)  # the board it saw is gone
        assert refused.value.item is not None and refused.value.item["Version"] == {"N": "2"}
        client.call("UpdateItem", second)
        read = client.call("GetItem", calls.poll(table, "g"))
        assert read["Item"]["Board"] == {"S": "X---O----"}
        assert read["Item"] == botocore.get_item(**calls.poll(table, "g"))["Item"]
        with pytest.raises(Failed) as failed:
            client.call("GetItem", calls.poll("NoSuchTable", "g"))
        assert failed.value.code == "ResourceNotFoundException"
    finally:
        client.close()
        botocore.delete_table(TableName=table)


def test_one_short_round_reports_both_calls_and_both_flows(
    local: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(timing, "QUICK_ROUNDS", 1)
    monkeypatch.setattr(timing, "QUICK_SECONDS", 1)
    results = {
        "thin": {
            "calls": timing.measure(local, quick=True),
            "counts": counts.measure(local, tmp_path),
        }
    }
    assert results["thin"]["calls"]["rounds"] == 1
    for flow in counts.FLOWS:  # each move but the last is one UpdateItem; a poll, a GetItem
        per_move = results["thin"]["counts"][flow]["per_move"]
        assert per_move["UpdateItem"] >= 6 / 7 and per_move["GetItem"] > 0, flow
    assert results["thin"]["counts"]["polling"]["per_move"]["GetItem"] >= 1
    text = "\n".join(thin.sections(results))
    for part in (*timing.KINDS, *timing.PATHS, *counts.FLOWS.values(), "ms to cut"):
        assert part in text, part
    assert [row.name for row in thin.rows(results)] == [
        f"Thin client for UpdateItem and GetItem alone: app CPU ms saved per move, {flow}"
        for flow in counts.FLOWS
    ]


def figures(app_us: float, thin_us: float, compare_ms: float) -> dict[str, Any]:
    """Results as the suite and the compare suite return them, with chosen figures: one
    UpdateItem and one GetItem a move, and two calls of another kind."""
    us = {p: dict.fromkeys(timing.KINDS, thin_us) for p in timing.PATHS}
    us["app"] = dict.fromkeys(timing.KINDS, app_us)
    ratio = {p: dict.fromkeys(timing.KINDS, us[p]["UpdateItem"] / app_us) for p in timing.PATHS}
    measured = {"rounds": 1, "seconds": 1, "load": 0, "calls_per_sample": 6}
    per_move = {"UpdateItem": 1.0, "GetItem": 1.0, "Query": 2.0}
    return {
        "thin": {
            "calls": measured | {"us": us, "best_us": us, "ratio": ratio},
            "counts": {"push on": {"moves": 7, "per_move": per_move}},
        },
        "compare": {"runs": {"current": {"4": [{"app_cpu_ms_per_move": compare_ms}]}}},
    }


@pytest.mark.parametrize(
    ("app_us", "thin_us", "compare_ms", "verdict"),
    [
        (1500, 900, 13.0, "does not close the gap"),  # 1.2 ms saved against 8 to cut
        (5000, 500, 13.0, "would close the gap"),  # 9 ms saved against 8
    ],
)
def test_the_verdict_follows_the_saving_and_the_flows_own_figure(
    app_us: float, thin_us: float, compare_ms: float, verdict: str
) -> None:
    text = "\n".join(report.markdown(figures(app_us, thin_us, compare_ms)))
    assert verdict in text
    assert f"{compare_ms:.1f} ms of app CPU a move (this run's" in text
    saved = 2 * (app_us - thin_us) / 1000
    assert f"saves at most {saved:.2f} ms a move" in text
