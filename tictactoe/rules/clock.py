"""Timestamps as games and accounts record them: UTC, ISO 8601, sortable as text."""

from __future__ import annotations

from datetime import UTC, datetime


def now(epoch: float | None = None) -> str:
    """Return the current UTC time (or `epoch`) in ISO 8601, sortable as text."""
    moment = datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
