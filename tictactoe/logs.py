"""Logs on stdout: one JSON object a line for Elastic Beanstalk, readable lines on a terminal.

Every record carries the id of the request it was written for (`request_id`, null outside
requests), so an operator who has a player's request id finds everything that request wrote.
The JSON comes from python-json-logger. TICTACTOE_LOG_FORMAT chooses: `json`, or `text` for
people; by default `text` when stdout is a terminal, `json` otherwise.
"""

from __future__ import annotations

import logging
import os
import sys
from contextvars import ContextVar
from typing import IO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FORMAT_ENV = "TICTACTOE_LOG_FORMAT"
FORMATS = ("json", "text")

# The id of the request this thread is serving (set by tictactoe/web/layers/requestlog.py).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request being served when it was written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


_NOT_EXTRA = frozenset(RESERVED_ATTRS) | {"request_id", "message", "asctime"}


class TextFormatter(logging.Formatter):
    """A line a person reads: time, level, logger, request id, message, then any extra fields."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s", datefmt="%H:%M:%S"
        )

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = [
            f"{k}={v}" for k, v in record.__dict__.items() if k not in _NOT_EXTRA and v is not None
        ]
        return " ".join([line, *extra])


def json_formatter() -> logging.Formatter:
    """Return the formatter for production: time (UTC, ISO 8601), level, logger, message ..."""
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


def configure(stream: IO[str] | None = None, fmt: str | None = None) -> None:
    """Log to `stream` (stdout), unless the host already set logging up (pytest, say)."""
    root = logging.getLogger()
    if root.handlers and stream is None:
        return
    root.addHandler(handler(stream or sys.stdout, fmt))
    root.setLevel(logging.INFO)
    # No format of ours (nor gunicorn's) shows the file, line or function a record came
    # from, so skip looking it up on every record (the Logging HOWTO's "Optimization").
    logging._srcfile = None


def handler(stream: IO[str], fmt: str | None = None) -> logging.Handler:
    """Return a handler writing to `stream` in `fmt` (None: as TICTACTOE_LOG_FORMAT says)."""
    made = logging.StreamHandler(stream)
    fmt = fmt or chosen_format(stream)
    made.setFormatter(json_formatter() if fmt == "json" else TextFormatter())
    made.addFilter(RequestIdFilter())
    return made


def chosen_format(stream: IO[str]) -> str:
    """Return TICTACTOE_LOG_FORMAT when it names a format, else text for a terminal."""
    wanted = os.environ.get(FORMAT_ENV, "").strip().lower()
    if wanted in FORMATS:
        return wanted
    return "text" if stream.isatty() else "json"
