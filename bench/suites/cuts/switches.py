"""The four per-request CPU cuts of 7fcaba5, each switchable back to the behaviour before it,
one candidate not adopted (a Flask JSON provider on orjson), and one cost (the CloudWatch
metrics line of issue 25), on one app built by create_app. Switching is monkeypatching from
here: the production code has no seam for it.

- session: the app's session interface (serializer and derived keys kept per process) or
  Flask's own SecureCookieSessionInterface, which builds both on every request;
- validation: the DynamoDB client's serializer without or with botocore's parameter
  validation (what parameter_validation=True builds: ParamValidationDecorator);
- srcfile: logging._srcfile None (no caller lookup per record) or logging's own value;
- route: requestlog.route_of cached (functools.cache) or the bare function;
- orjson: the candidate, app.json on orjson or Flask's default provider;
- metrics: the cost, one EMF line per request appended to a temporary file (as
  TICTACTOE_METRICS_FILE makes production do) or metrics off (as every other row runs).
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from botocore.validate import ParamValidationDecorator, ParamValidator
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider, JSONProvider
from flask.sessions import SecureCookieSessionInterface

from tictactoe.adapters import metrics
from tictactoe.web.layers import requestlog

CUTS = {
    "session": "session serializer and derived keys kept per process (tictactoe/__init__.py)",
    "validation": "botocore parameter_validation=False (tictactoe/adapters/clients.py)",
    "srcfile": "logging._srcfile = None (tictactoe/logs.py)",
    "route": "route_of cached (tictactoe/web/layers/requestlog.py)",
}
CANDIDATE = "orjson"
METRICS = "metrics"
COST = "CloudWatch metrics line (issue 25): one EMF line appended per request"
# What logging sets _srcfile to (Lib/logging/__init__.py): the file whose frames it skips.
LOGGING_SRCFILE = os.path.normcase(logging.addLevelName.__code__.co_filename)


class FlasksSession(SecureCookieSessionInterface):
    """The session interface as it was before 7fcaba5: Flask's serializer, rebuilt per request
    (with a new signer deriving its key per cookie); only the Secure flag was ours."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def orjson_provider(app: Flask) -> JSONProvider | None:
    """A JSON provider on orjson, as Flask's default would answer; None when orjson is missing."""
    try:
        import orjson
    except ImportError:
        return None
    # Dates as Flask writes them (HTTP dates), keys in insertion order as the app asks.
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME

    class OrjsonProvider(JSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return orjson.dumps(obj, default=DefaultJSONProvider.default, option=option).decode()

        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return orjson.loads(s)

    return OrjsonProvider(app)


def orjson_version() -> str | None:
    try:
        import orjson
    except ImportError:
        return None
    return str(orjson.__version__)


class Switches:
    """Turn each cut of one app off (the old behaviour) or on (as it ships)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.extensions["tictactoe"].dynamodb
        self.shipped_session = app.session_interface
        self.flasks_session = FlasksSession()
        self.plain = self.client._serializer  # parameter_validation=False: no decorator
        self.validating = ParamValidationDecorator(ParamValidator(), self.plain)
        self.cached_route = requestlog.route_of
        self.bare_route = requestlog.route_of.__wrapped__
        self.default_json = app.json
        self.orjson = orjson_provider(app)
        self.srcfile_before = logging._srcfile  # type: ignore[attr-defined]
        self.metrics_before = metrics._sink
        self.metrics_file: str | None = None  # made at the first switch on, removed by restore
        self.metrics_sink: metrics.Sink | None = None

    def names(self) -> list[str]:
        """The cuts, the metrics line, and the candidate when orjson is installed."""
        return [*CUTS, METRICS, *([CANDIDATE] if self.orjson is not None else [])]

    def set(self, name: str, on: bool) -> None:
        """Switch one cut (or the candidate, or the metrics line) on or off."""
        if name == "session":
            self.app.session_interface = self.shipped_session if on else self.flasks_session
        elif name == "validation":
            self.client._serializer = self.plain if on else self.validating
        elif name == "srcfile":
            logging._srcfile = None if on else LOGGING_SRCFILE  # type: ignore[attr-defined]
        elif name == "route":
            requestlog.route_of = self.cached_route if on else self.bare_route
        elif name == CANDIDATE:
            self.app.json = self.orjson if on and self.orjson else self.default_json
        elif name == METRICS:
            metrics._sink = self._metrics_sink() if on else None  # None: what "unset" leaves
        else:
            raise KeyError(name)

    def ship(self) -> None:
        """Every cut on, the candidate and metrics off: the app as production runs it (under
        gunicorn, where logs.configure sets logging._srcfile to None) but for the metrics
        line, which no benchmark before issue 25 wrote, so the other rows stay comparable."""
        for name in CUTS:
            self.set(name, True)
        self.set(CANDIDATE, False)
        self.set(METRICS, False)

    def restore(self) -> None:
        """Put this process back as it was before (the module and logging globals too); close
        and remove the metrics file."""
        self.ship()
        logging._srcfile = self.srcfile_before  # type: ignore[attr-defined]
        metrics._sink = self.metrics_before
        if self.metrics_sink is not None:
            os.close(self.metrics_sink._fd)  # a Sink lives as long as its process: no close()
            self.metrics_sink = None
        if self.metrics_file is not None:
            os.remove(self.metrics_file)
            self.metrics_file = None

    def _metrics_sink(self) -> metrics.Sink:
        """The sink metrics.configure opens on a temporary file, as at an instance's start.
        Made once: configure would open the file again after every switch off, so each round
        would pay an open() that production pays once, and leave a descriptor behind."""
        if self.metrics_sink is None:
            handle, self.metrics_file = tempfile.mkstemp(prefix="bench-metrics-", suffix=".log")
            os.close(handle)
            metrics.configure(path=self.metrics_file, environment="bench")
            if metrics._sink is None:
                raise RuntimeError(f"metrics could not write to {self.metrics_file}")
            self.metrics_sink = metrics._sink
        return self.metrics_sink
