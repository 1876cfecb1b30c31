"""The registry: every suite `make bench` runs, in the order the report shows them.

The only place that names the suites. A new benchmark is a module or package beside these
(what it holds: bench/harness/__init__.py) and one line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

SUITES = (
    "capacity",  # DynamoDB capacity per game, session checks, waiting (in-process app)
    "counting",  # what counting results costs, per request
    "throughput",  # moves/s and latency against gunicorn
    "pages",  # page weight in chromium
    "flood",  # moves during a login flood
    "avatars",  # picture processing and its memory ceiling
    "push",  # live updates against polling, on a stack of its own
    "bill",  # what AWS bills for the capacity suite's games, and the cost model
    "designs",  # table designs that would write less per game
    "compare",  # a baseline git ref against this tree
    "cuts",  # app CPU per request, each cut off and on
    "lighter",  # CPU per DynamoDB call and per request, before and after issue 27's 1 and 3
    "thin",  # a minimal client for the two hottest calls against botocore (issue 27, 1)
    "watchers",  # push messages each stream process receives: only its watchers' (issue 27, 4)
)


def load(names: tuple[str, ...] = SUITES) -> list[ModuleType]:
    """Import the named suites, in the registry's order."""
    unknown = set(names) - set(SUITES)
    if unknown:
        raise ValueError(f"no such suite: {', '.join(sorted(unknown))}")
    return [importlib.import_module(f"{__name__}.{name}") for name in SUITES if name in names]
