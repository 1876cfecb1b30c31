"""Where the app's CPU goes, per request, from py-spy's samples of both sides under load.

py-spy (pinned in requirements-dev.txt) attaches to a side's web and stream masters and
their workers (`--subprocesses`), and samples, `RATE` times a second, the thread that holds
the GIL (`--gil`: the one running Python, so the samples follow the CPU and skip the
waiting), while bench/suites/common/page_load.py plays at 4 pairs. devstack/hooks.py runs
each request inside a function named for it (`request_move` ...), so every sample says which
request it served; the stream process's work outside requests (the hub hearing a notice on
the bus and reading the game once for all its streams) is named by its own frames. Each
sample is then put in one group (`group`): botocore's parts first when botocore is on the
stack, else the innermost frame that belongs to a known part.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.harness.sides import Side
from bench.harness.stack import ROOT
from bench.load import Player
from bench.suites.common.page_load import Runner

RATE = 200  # samples a second
OUTSIDE = "outside requests (gunicorn: HTTP, the workers' loops)"
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*?)(?::\d+)?\)$")
Stack = list[tuple[str, str]]  # (function, path), outermost first

# botocore's parts, innermost frame first; "send" frames count only under botocore.
BOTOCORE = (
    ("botocore: our event hooks (capacity, request log)", ("tictactoe/",)),
    ("botocore: serialise and validate", ("botocore/serialize.py", "botocore/validate.py")),
    ("botocore: sign", ("botocore/auth.py", "botocore/signers.py")),
    ("botocore: parse", ("botocore/parsers.py",)),
    (
        "botocore: send (urllib3, http.client)",
        (
            "urllib3/",
            "botocore/httpsession.py",
            "botocore/awsrequest.py",
            "http/client.py",
            "socket.py",
        ),
    ),
    ("botocore: the rest (events, endpoint, retries)", ("botocore/", "boto3/")),
)
# Everything else: the innermost frame that matches decides (other frames are passed over).
GROUPS = (
    ("JSON", ("json/", "flask/json/", "orjson")),
    ("logging (request log)", ("logging/", "tictactoe/logs.py")),
    ("Jinja (templates)", ("jinja2/", "markupsafe/", ".html")),
    ("CSRF", ("tictactoe/web/layers/csrf.py", "flask_wtf/")),
    (
        "session and sign-in",
        ("flask/sessions.py", "tictactoe/web/auth.py", "tictactoe/__init__.py"),
    ),
    ("push (redis, hub)", ("redis/", "tictactoe/adapters/bus.py", "tictactoe/services/hub.py")),
    ("our code", ("tictactoe/",)),
    ("Flask and werkzeug", ("flask/", "werkzeug/")),
    ("server (gunicorn, gevent)", ("gunicorn/", "gevent/", "devstack/hooks.py")),
)


def available() -> str | None:
    """The py-spy executable, or None."""
    found = ROOT / ".venv" / "bin" / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


def record(
    side: Side, runner: Runner, players: list[Player], pairs: int, seconds: float, workdir: Path
) -> dict[str, Any]:
    """Sample `side` while `pairs` games go on for `seconds`; return the profile by request."""
    spy = available()
    assert spy is not None
    outs, spies = [], []
    for kind, pid in side.pids().items():
        out = workdir / f"py-spy-{side.name}-{kind}.txt"
        outs.append(out)
        with out.with_suffix(".log").open("w") as log:
            spies.append(
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(pid),
                        "--subprocesses",
                        "--gil",
                        "--rate",
                        str(RATE),
                        "--duration",
                        str(round(seconds + 1)),
                        "--format",
                        "raw",
                        "--output",
                        str(out),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
    time.sleep(0.5)  # py-spy attaches
    load = runner.measure(side.url, side.stream_url, players, pairs, seconds)
    for process in spies:
        process.wait(seconds + 60)
    stacks = [s for out in outs if out.exists() for s in read(out.read_text())]
    return summarise(stacks, load)


def read(text: str) -> list[tuple[Stack, int]]:
    """py-spy's raw output: one stack a line, "frame;frame;... count"."""
    found = []
    for line in text.splitlines():
        frames, _, count = line.rpartition(" ")
        stack = []
        for part in frames.split(";"):
            match = _FRAME.match(part)
            if match and not part.startswith("process "):
                stack.append((match["function"], match["path"]))
        if stack and count.isdigit():
            found.append((stack, int(count)))
    return found


def request_of(stack: Stack) -> str:
    """Which request (or which work outside requests) a sample belongs to."""
    names = [function for function, _ in stack]
    if "events_stream" in names:  # a stream's body, sent after its request returned
        return "stream event (sent)"
    marked = next((n.removeprefix("request_") for n in names if n.startswith("request_")), None)
    if marked:
        return "stream (opened)" if marked == "stream" else marked
    if any(
        path.startswith(("tictactoe/services/hub.py", "tictactoe/adapters/bus.py"))
        for _, path in stack
    ):
        return "stream event (hub)"
    return OUTSIDE


def group(stack: Stack) -> str:
    """The part of the stack a sample's CPU belongs to."""
    inward = list(reversed(stack))
    parts = BOTOCORE if any(p.startswith(("botocore/", "boto3/")) for _, p in stack) else GROUPS
    for _, path in inward:
        for name, prefixes in parts:
            if any(
                path.startswith(x) or (x.startswith(".") and path.endswith(x)) for x in prefixes
            ):
                return name
    return "other"


def summarise(stacks: list[tuple[Stack, int]], load: dict[str, Any]) -> dict[str, Any]:
    """Per request: samples, CPU ms per request, share of each group and of the top modules."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    modules: dict[str, Counter[str]] = defaultdict(Counter)
    for stack, count in stacks:
        kind = request_of(stack)
        groups[kind][group(stack)] += count
        modules[kind][stack[-1][1]] += count
    requests = load.get("requests", {})
    per = {
        "home": "home",
        "invite": "invite",
        "accept": "accept",
        "game_page": "game_page",
        "move": "move",
        "stream (opened)": "stream",
    }
    out: dict[str, Any] = {}
    for kind, counted in groups.items():
        samples = sum(counted.values())
        handled = requests.get(per.get(kind, ""), 0) or load.get("moves_sent", 0)
        out[kind] = {
            "samples": samples,
            "per": per.get(kind, "move"),  # what the ms are per: the request, or a move
            "ms_per": 1000 * samples / RATE / handled if handled else float("nan"),
            "groups": {g: n / samples for g, n in counted.most_common()},
            "top_modules": [(m, n / samples) for m, n in modules[kind].most_common(8)],
        }
    return {
        "rate": RATE,
        "load": {k: v for k, v in load.items() if k != "errors"},
        "errors": load.get("errors", []),
        "requests": out,
    }
