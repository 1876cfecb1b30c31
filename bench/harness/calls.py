"""The push stack's DynamoDB calls (devstack/hooks.py counts them): totals and differences."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def capacity(calls_dir: Path, mode: str, settle: float = 0.6) -> dict[str, Any]:
    """Every DynamoDB call the mode's processes have made so far, with its units, in total
    and per "<web|stream>:<request type>" ("outside": no request, e.g. the hub's reads).

    Each worker's totals are its own file (devstack/hooks.py); they are at most a quarter
    of a second old, so wait `settle` first for the last calls to be written."""
    time.sleep(settle)
    total: dict[str, Any] = {
        "calls": 0,
        "rcu": 0.0,
        "wcu": 0.0,
        "by_type": {},
        "by_operation": {},
        "seconds": {},
    }
    for path in calls_dir.glob(f"live-{mode}-*.json"):
        try:
            counted = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        part = path.name.split("-")[3]  # live-<mode>-<instance>-<web|stream>-<pid>.json
        for kind, used in counted["by_type"].items():
            total["calls"] += used["calls"]
            total["rcu"] += used["rcu"]
            total["wcu"] += used["wcu"]
            mine = total["by_type"].setdefault(
                f"{part}:{kind}", {"calls": 0, "rcu": 0.0, "wcu": 0.0}
            )
            for k in ("calls", "rcu", "wcu"):
                mine[k] += used[k]
        for name, n in counted["by_operation"].items():
            key = f"{part}:{name}"
            total["by_operation"][key] = total["by_operation"].get(key, 0) + n
        for name, took in counted.get("seconds", {}).items():
            key = f"{part}:{name}"
            total["seconds"][key] = total["seconds"].get(key, 0.0) + took
    return total


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Calls and units between two PushStack.capacity readings, in total and per kind."""
    kinds = {}
    for key, used in after["by_type"].items():
        was = before["by_type"].get(key, {"calls": 0, "rcu": 0.0, "wcu": 0.0})
        delta = {k: used[k] - was[k] for k in ("calls", "rcu", "wcu")}
        if delta["calls"]:
            kinds[key] = delta
    operations = {k: n - before["by_operation"].get(k, 0) for k, n in after["by_operation"].items()}
    waited = {
        k: t - before.get("seconds", {}).get(k, 0.0) for k, t in after.get("seconds", {}).items()
    }
    return {
        "calls": after["calls"] - before["calls"],
        "rcu": after["rcu"] - before["rcu"],
        "wcu": after["wcu"] - before["wcu"],
        "by_type": kinds,
        "by_operation": {k: n for k, n in operations.items() if n},
        # Mean milliseconds each kind of call waited for DynamoDB.
        "mean_ms": {k: 1000 * waited.get(k, 0.0) / n for k, n in operations.items() if n},
    }
