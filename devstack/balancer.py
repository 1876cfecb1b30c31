"""The load balancer's stand-in: an nginx in front of the instances' own nginx.

What it does of an application load balancer, and only that: round-robin over the instances
registered (no stickiness), the client's address in X-Forwarded-For and the scheme in
X-Forwarded-Proto, no limit of its own on a request's body, and an instance that refuses
connections skipped for a second. The streams (the paths the Procfile's stream process
serves) are passed on unbuffered and logged apart: nginx logs a request when it ends, and a
stream ends minutes later, if ever. Registering and deregistering is `write` and `reload`;
ROUTES answers which config is loaded, so the caller sees when a reload is done.
"""

from __future__ import annotations

import getpass
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import platform_nginx, processes

ROUTES = "/__routes"
# The paths the stream process serves (.platform/nginx/conf.d/elasticbeanstalk/streams.conf).
STREAM_PATHS = r"^/api/(games/[A-Za-z0-9_-]+|me)/events$"
# One line per request: which player asked (a header a test may add), which instance
# answered and how it went; nginx logs "-" for a missing value.
LOG_FORMAT = '$http_x_e2e_player "$request" $status "$upstream_addr" "$upstream_status"'
_LINE = re.compile(
    r'(?P<player>\S+) "(?P<request>[^"]*)" (?P<status>\d+) "(?P<up>[^"]*)" "(?P<ups>[^"]*)"'
)
HEADERS = """\
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout;
"""


@dataclass(frozen=True)
class Hit:
    """One request as the load balancer logged it."""

    player: str
    request: str
    status: int
    upstream: str  # the instance's "127.0.0.1:port"; comma-separated when several were tried
    upstream_status: str


def conf(home: Path, port: int, instances: list[str], routes: int = 0, log: bool = True) -> str:
    """Return the config of a load balancer on `port` over `instances` ("127.0.0.1:port"),
    its files in `home`; `routes` numbers it, `log` keeps the request logs."""
    user, temps = _own_folders(home)
    servers = "".join(f"    server {a} max_fails=1 fail_timeout=1s;\n" for a in instances)
    access, streams = (
        (f"{home}/access.log balancer", f"{home}/streams.log balancer") if log else ("off", "off")
    )
    return f"""{user}worker_processes 1;
worker_rlimit_nofile 16384;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  log_format balancer '{LOG_FORMAT}';
  access_log {access};
{temps}  client_max_body_size 0;
  upstream instances {{
{servers}  }}
  upstream instance_streams {{
{servers}  }}
  server {{
    listen 127.0.0.1:{port};
    location = {ROUTES} {{ access_log off; return 200 "{routes}"; }}
    location ~ {STREAM_PATHS} {{
      proxy_pass http://instance_streams;
{HEADERS}      proxy_buffering off;
      proxy_read_timeout 60s;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      access_log {streams};
    }}
    location / {{
      proxy_pass http://instances;
{HEADERS}    }}
  }}
}}
"""


def _own_folders(home: Path) -> tuple[str, str]:
    """Return the user line and the temporary paths that keep nginx's files in `home`."""
    # As root, nginx's workers would drop to "nobody", who cannot use our private folders.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"  {kind}_temp_path {home}/{kind}_temp;\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return user, temps


def write(home: Path, port: int, instances: list[str], routes: int, log: bool) -> Path:
    """Write the load balancer's config (`conf`) into `home`; return its path."""
    (home / "log").mkdir(parents=True, exist_ok=True)
    path = home / "nginx.conf"
    path.write_text(conf(home, port, instances, routes, log))
    return path


def start(path: Path, port: int) -> subprocess.Popen[bytes]:
    """Start the load balancer written at `path` and wait until it listens on `port`."""
    front = platform_nginx.start(path, path.parent)
    processes.wait_for_port(port, front, timeout=10)
    return front


def reload(front: subprocess.Popen[bytes], url: str, routes: int) -> None:
    """Make the load balancer at `url` reread its config; return once a new worker answers
    with `routes`. nginx rereads it at SIGHUP: new workers take the new requests and the old
    ones end once their connections have."""
    old = _children(front.pid)
    os.kill(front.pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    # A new worker answering is not enough: until an old one has handled its QUIT it still
    # accepts new connections, with the old routes. It closes its listening socket then.
    while routed(url) != routes or any(_accepting(pid, port) for pid in old):
        if time.monotonic() > deadline or front.poll() is not None:
            raise RuntimeError("the load balancer did not reload")
        time.sleep(0.05)


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (nginx's master: its workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _accepting(pid: int, port: int) -> bool:
    """True while process `pid` holds the socket listening on 127.0.0.1:`port`."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # exited
        return False
    for fd in fds:
        try:
            if os.readlink(fd) in wanted:
                return True
        except OSError:
            continue
    return False


def _listening_inodes(port: int) -> set[str]:
    """The inodes of the TCP sockets listening on `port` (state 0A in /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1].endswith(f":{port:04X}") and parts[3] == "0A":
            found.add(parts[9])
    return found


def routed(url: str) -> int:
    """Return which routes the balancer at `url` answers with (a new connection: a new
    worker's, once a reload is done); -1 while it does not answer."""
    try:
        with urllib.request.urlopen(url + ROUTES, timeout=2) as response:
            return int(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return -1


def hits(log: Path) -> list[Hit]:
    """Return every request the balancer has logged in `log` so far."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text().splitlines():
        m = _LINE.match(line)
        if m is None:
            raise ValueError(f"unexpected access log line: {line!r}")
        found.append(Hit(m["player"], m["request"], int(m["status"]), m["up"], m["ups"]))
    return found
