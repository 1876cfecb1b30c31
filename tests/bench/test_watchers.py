"""bench/suites/watchers: a small round runs to the end on a redis-server of its own, and what
it reports is what the issue asks: each process hears its own watchers' games, and no other."""

from __future__ import annotations

import pytest

from bench.suites import watchers


def test_a_small_round_hears_only_each_processs_own_games(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchers, "PROCESSES", 3)
    monkeypatch.setattr(watchers, "GAMES", 60)
    monkeypatch.setattr(watchers, "CHUNK", 25)
    results = watchers.run(None)  # type: ignore[arg-type]
    found = results["watchers"]
    for mode in ("sharded", "overlap"):
        processes = found[mode]["processes"]
        assert [p["foreign"] for p in processes] == [0, 0, 0], mode
        assert [p["lost"] for p in processes] == [0, 0, 0], mode
        assert all(0 < p["received"] == p["expected"] < p["all"] for p in processes), processes
    assert [p["legacy"] for p in found["overlap"]["processes"]] == [60 * watchers.CHANGES] * 3
    assert [p["legacy"] for p in found["sharded"]["processes"]] == [0, 0, 0]
    text = "\n".join(watchers.sections(results))
    assert "| 0 |" in text and "| 2 |" in text
    assert [r.ok(r.median) for r in watchers.rows(results) if r.ok] == [True, True]
