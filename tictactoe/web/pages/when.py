"""When a game last changed, in a list row's words ("2 min ago") and in full, for templates.

static/when.js says the same words in the browser, and keeps them current as time passes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tictactoe.web.pages.blueprint import bp

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
# Up to each bound (in seconds), the time is counted in this unit (its size in seconds).
_UNITS = ((3600, 60, "min"), (86400, 3600, "h"), (7 * 86400, 86400, "day"))


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _date(moment: datetime) -> str:
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


@bp.app_template_filter("ago")
def ago(iso: str, now: datetime | None = None) -> str:
    """Say how long ago `iso` was: "just now", "5 min ago", "3 h ago", "2 days ago", a date."""
    seconds = ((now or datetime.now(UTC)) - _moment(iso)).total_seconds()
    if seconds < 60:
        return "just now"  # a clock a little ahead of ours says "just now" too, never "-1 min"
    for bound, size, unit in _UNITS:
        if seconds < bound:
            count = int(seconds // size)
            plural = "s" if unit == "day" and count > 1 else ""
            return f"{count} {unit}{plural} ago"
    return _date(_moment(iso))


@bp.app_template_filter("full_time")
def full_time(iso: str) -> str:
    """Say when `iso` was in full, in UTC (when.js rewrites it in the reader's own zone)."""
    moment = _moment(iso)
    return f"{_date(moment)}, {moment:%H:%M} UTC"
