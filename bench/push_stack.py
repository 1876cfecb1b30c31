"""The push benchmark's stack: production's shape on loopback, with push on and push off.

One DynamoDB Local and one moto S3 (the caller's, or started here), one redis-server (the
bus), and five app instances, each the Procfile's two processes (`web:` gunicorn gthread,
`stream:` gunicorn gevent, their command lines read from the Procfile with only the ports
changed): two with push on (TICTACTOE_PUSH_URL names the redis-server), two with push off
(no URL: the streams answer 503 and pages poll), and one more with push on that serves only
the waiting benchmark's pages (on the same bus, so it hears every notice, as production's
instances do). Debian's nginx balances them as Elastic Beanstalk's does: one port per mode,
round-robin over that mode's web processes, and the stream paths
(`^/api/(games/<id>|me)/events$`) round-robin over its stream processes with proxy_buffering
off, proxy_read_timeout 60s, HTTP/1.1 and an empty Connection header. worker_connections is
8192 (each open stream is two connections).

Each process runs with bench/push_conf.py, which counts its DynamoDB calls live; the
instances' config leaves the limits at their defaults (the benchmark signs players up from
loopback addresses of their own, 10 an address, within the limit of 20 an hour). Every
process is started here, in a process group of its own, and stopped by PID.
"""

from __future__ import annotations

import getpass
import http.client
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

from devstack import dynamodb_local, moto_server, processes, redis_server

from .flows import PASSWORD
from .load import Player
from .stack import ROOT, SECRET, cpu_seconds

# "on" and "off" are compared; "wait" (push on too) serves only the waiting benchmark's two
# pages, so that its counts hold nothing else while the other figures are measured.
MODES = ("on", "off", "wait")
PUSH_ON = ("on", "wait")
INSTANCES = {"on": 2, "off": 2, "wait": 1}  # the waiting pages' requests need only one
STREAM_PATHS = r"^/api/(games/[A-Za-z0-9_-]+|me)/events$"
# The sign-up limit's default is 20 an hour from one client, and a try refused as busy (503)
# counts too: half of it per address leaves room for the tries.
SIGNUPS_PER_ADDRESS = 10
_addresses = count()  # each address a client of its own to the limits
_lock = threading.Lock()


@dataclass
class Process:
    """One of an instance's two gunicorn processes (a master and its workers)."""

    label: str  # "on-a-web", "off-b-stream", ...
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        assert self.proc is not None
        return children(self.proc.pid)


@dataclass
class Instance:
    mode: str
    name: str
    web: Process
    stream: Process


@dataclass
class PushStack:
    home: Path
    endpoint: str
    s3_endpoint: str
    redis_url: str
    ports: dict[str, int]  # nginx's port per mode
    instances: list[Instance] = field(default_factory=list)

    @property
    def calls_dir(self) -> Path:
        return self.home / "calls"

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.ports[mode]}"

    def of(self, mode: str) -> list[Instance]:
        return [i for i in self.instances if i.mode == mode]

    def cpu(self, mode: str) -> dict[str, float]:
        """User + system CPU seconds so far of the mode's gunicorn masters and workers."""
        used: dict[str, float] = defaultdict(float)
        for instance in self.of(mode):
            for kind in ("web", "stream"):
                proc = getattr(instance, kind).proc
                assert proc is not None
                used[kind] += cpu_seconds(proc.pid)  # the master and its live workers
        return dict(used)

    def stream_rss(self, mode: str = "on") -> int:
        """Resident bytes of the mode's stream workers (each stream process has one)."""
        return sum(rss(pid) for i in self.of(mode) for pid in i.stream.workers())

    def capacity(self, mode: str, settle: float = 0.6) -> dict[str, Any]:
        """Every DynamoDB call the mode's processes have made so far (see `capacity`)."""
        return capacity(self.calls_dir, mode, settle)

    def register(self, names: list[str], mode: str = "on") -> list[Player]:
        """Sign players up through nginx, from loopback addresses of their own."""
        url = self.url(mode)
        sources = [address() for _ in range(0, len(names), SIGNUPS_PER_ADDRESS)]
        jobs = [(name, sources[i // SIGNUPS_PER_ADDRESS]) for i, name in enumerate(names)]
        # Four at a time: each web worker hashes one password at a time, with one waiting.
        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda job: sign_up(url, *job), jobs))


@contextmanager
def push_stack(workdir: Path, endpoint: str | None = None,
               s3_endpoint: str | None = None) -> Iterator[PushStack]:  # fmt: skip
    """Start everything (DynamoDB Local and S3 too unless given); stop it all by PID."""
    with ExitStack() as stack:
        fresh = endpoint is None  # a new DynamoDB Local: its tables are still to be made
        if endpoint is None:
            port = processes.free_port()
            db = dynamodb_local.start(port, workdir / "data", workdir / "dynamodb.log")
            stack.callback(processes.stop, db)
            endpoint = f"http://127.0.0.1:{port}"
        if s3_endpoint is None:
            port = processes.free_port()
            s3 = moto_server.start(port, workdir / "moto-s3.log")
            stack.callback(processes.stop, s3)
            s3_endpoint = f"http://127.0.0.1:{port}"
        redis_port = processes.free_port()
        bus = redis_server.start(redis_port, workdir / "redis.log")
        stack.callback(processes.stop, bus)
        running = PushStack(workdir, endpoint, s3_endpoint, redis_server.url(redis_port),
                            {mode: processes.free_port() for mode in MODES})  # fmt: skip
        running.calls_dir.mkdir(parents=True, exist_ok=True)
        config = _write_config(running)
        commands = procfile()
        for mode in MODES:
            for name in ("a", "b")[: INSTANCES[mode]]:
                running.instances.append(Instance(
                    mode, name,
                    Process(f"{mode}-{name}-web", processes.free_port()),
                    Process(f"{mode}-{name}-stream", processes.free_port()),
                ))  # fmt: skip
        everyone = [p for i in running.instances for p in (i.web, i.stream)]
        # On a new database one process first, so that only it creates the tables; then the
        # others at once.
        started: list[subprocess.Popen[bytes]] = []
        stack.callback(stop_all, started)
        for process in everyone:
            mode = process.label.split("-")[0]
            process.proc = _spawn(running, process, commands[process.label.split("-")[2]],
                                  config, running.redis_url if mode in PUSH_ON else "")  # fmt: skip
            started.append(process.proc)
            if fresh and process is everyone[0]:
                wait_healthy(process)
        for process in everyone:
            wait_healthy(process)
        nginx = _start_nginx(running)
        stack.callback(processes.stop, nginx)
        yield running


def capacity(calls_dir: Path, mode: str, settle: float = 0.6) -> dict[str, Any]:
    """Every DynamoDB call the mode's processes have made so far, with its units, in total
    and per "<web|stream>:<request type>" ("outside": no request, e.g. the hub's reads).

    Each worker's totals are its own file (bench/push_conf.py); they are at most a quarter
    of a second old, so wait `settle` first for the last calls to be written."""
    time.sleep(settle)
    total: dict[str, Any] = {"calls": 0, "rcu": 0.0, "wcu": 0.0, "by_type": {},
                             "by_operation": {}, "seconds": {}}  # fmt: skip
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
            mine = total["by_type"].setdefault(f"{part}:{kind}",
                                               {"calls": 0, "rcu": 0.0, "wcu": 0.0})  # fmt: skip
            for k in ("calls", "rcu", "wcu"):
                mine[k] += used[k]
        for name, n in counted["by_operation"].items():
            key = f"{part}:{name}"
            total["by_operation"][key] = total["by_operation"].get(key, 0) + n
        for name, took in counted.get("seconds", {}).items():
            key = f"{part}:{name}"
            total["seconds"][key] = total["seconds"].get(key, 0.0) + took
    return total


def stop_all(started: list[subprocess.Popen[bytes]], timeout: float = 20) -> None:
    """Stop the gunicorn processes we started (each its own process group, by PID): all told
    at once, then each waited for, and killed if it does not go."""
    for proc in started:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    for proc in started:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            processes.stop(proc, timeout=5)  # SIGTERM again, then SIGKILL to its group


def procfile() -> dict[str, list[str]]:
    """The Procfile's gunicorn arguments per process type ("web", "stream")."""
    found = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if not sep or not command.strip():
            continue
        args = shlex.split(command)
        if args and args[0] == "gunicorn":
            found[name.strip()] = args[1:]
    missing = {"web", "stream"} - set(found)
    if missing:
        raise RuntimeError(f"the Procfile has no {', '.join(sorted(missing))} process")
    return found


def _rebind(args: list[str], addr: str) -> list[str]:
    """The same arguments, bound to `addr` instead."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--bind", "-b"):
            skip = True
        elif not arg.startswith("--bind="):
            out.append(arg)
    return [*out, "--bind", addr]


def _write_config(running: PushStack) -> Path:
    path = running.home / "push.toml"
    path.write_text(
        f'[dynamodb]\nregion = "us-west-2"\nendpoint = "{running.endpoint}"\n\n'
        f'[s3]\nbucket = "bench-push-avatars"\nendpoint = "{running.s3_endpoint}"\n\n'
        # Behind nginx, as on Elastic Beanstalk: believe the address nginx saw. Limits at
        # their defaults.
        "[flask]\ntrusted_proxies = 1\n"
    )
    return path


def _spawn(running: PushStack, process: Process, args: list[str], config: Path,
           push_url: str) -> subprocess.Popen[bytes]:  # fmt: skip
    env = {
        "CONFIG_FILE": str(config),
        "TICTACTOE_SECRET_KEY": SECRET,  # the same key on every instance, as in production
        "TICTACTOE_PUSH_URL": push_url,  # empty: push off
        "TICTACTOE_LOG_FORMAT": "json",  # as on Elastic Beanstalk
        "BENCH_CALLS_DIR": str(running.calls_dir),
        "BENCH_LABEL": process.label,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONPATH": str(ROOT),
    }
    return processes.start(
        [sys.executable, "-m", "gunicorn", *_rebind(args, process.addr),
         "--config", str(ROOT / "bench" / "push_conf.py")],
        log=running.home / f"{process.label}.log", env=env, cwd=ROOT,
    )  # fmt: skip


def wait_healthy(process: Process, timeout: float = 90) -> None:
    processes.wait_healthy(process.proc, f"http://{process.addr}", process.label, timeout)


def nginx_conf(running: PushStack) -> str:
    home = running.home / "nginx"
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temps = "".join(f"  {kind}_temp_path {home}/{kind}_temp;\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    upstreams, servers = [], []
    for mode in MODES:
        for kind in ("web", "stream"):
            members = "".join(f"    server {getattr(i, kind).addr};\n" for i in running.of(mode))
            keep = "    keepalive 64;\n" if kind == "web" else ""
            upstreams.append(f"  upstream {kind}_{mode} {{\n{members}{keep}  }}\n")
        servers.append(f"""  server {{
    listen 127.0.0.1:{running.ports[mode]};
    location ~ {STREAM_PATHS} {{
      proxy_pass http://stream_{mode};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 60s;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
    location / {{
      proxy_pass http://web_{mode};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
""")
    return f"""{user}worker_processes 1;
worker_rlimit_nofile 16384;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
{temps}  client_max_body_size 6m;
{"".join(upstreams)}{"".join(servers)}}}
"""


def _start_nginx(running: PushStack) -> subprocess.Popen[bytes]:
    home = running.home / "nginx"
    home.mkdir(exist_ok=True)
    conf = home / "nginx.conf"
    conf.write_text(nginx_conf(running))
    nginx = processes.start(
        ["nginx", "-p", str(home), "-e", str(home / "error.log"), "-c", str(conf),
         "-g", "daemon off;"],
        log=home / "stdout.log",
    )  # fmt: skip
    for port in running.ports.values():
        processes.wait_for_port(port, nginx, timeout=10)
    return nginx


# -- players ---------------------------------------------------------------------------------


def sign_up(base_url: str, name: str, source: str, attempts: int = 30) -> Player:
    """Register `name` from the loopback address `source`; return its cookies and token.

    A 503 (the hashing slots are busy) is tried again shortly, as a person would; each try
    counts against the address's sign-ups, so a 429 moves on to a fresh address."""
    host, port = base_url.removeprefix("http://").split(":")
    cookies: dict[str, str] = {}
    connection = http.client.HTTPConnection(host, int(port), timeout=30,
                                            source_address=(source, 0))  # fmt: skip

    def send(method: str, path: str, body: dict[str, str] | None, token: str = "") -> Any:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body is not None:
            headers |= {"Content-Type": "application/json", "X-CSRFToken": token}
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        r = connection.getresponse()
        for header in r.headers.get_all("Set-Cookie") or []:
            key, _, value = header.split(";", 1)[0].partition("=")
            cookies[key.strip()] = value.strip()
        return r.status, r.read()

    try:
        token = json.loads(send("GET", "/api/csrf", None)[1])["csrf_token"]
        for _ in range(attempts):
            status, body = send("POST", "/api/register",
                                {"username": name, "password": PASSWORD}, token)  # fmt: skip
            if status == 201:
                break
            if status == 429:
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30,
                                                        source_address=(address(), 0))  # fmt: skip
            elif status == 503:
                time.sleep(0.3)
            else:
                raise RuntimeError(f"sign-up of {name}: {status} {body[:200]!r}")
        else:
            raise RuntimeError(f"sign-up of {name}: refused {attempts} times")
        token = json.loads(send("GET", "/api/csrf", None)[1])["csrf_token"]
        return Player(name, dict(cookies), token)
    finally:
        connection.close()


def address() -> str:
    """A loopback address no sign-up has come from yet (127.1.0.1, 127.1.0.2, ...)."""
    with _lock:
        n = next(_addresses)
    return f"127.1.{n // 250}.{n % 250 + 1}"


# -- /proc -----------------------------------------------------------------------------------


def rss(pid: int) -> int:
    """Resident set size of `pid` in bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found
