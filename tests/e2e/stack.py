"""The production shape on loopback: DynamoDB Local, moto's S3, a redis-server (the push bus),
two instances (each the Procfile's web and stream gunicorns behind its own nginx) and a load
balancer over them (all the nginx parts are one nginx).

Every process is started here, owned by PID and stopped by `Stack.stop`, whatever happened.
`launch` and `route` replace instances as a deploy does (tests/e2e/test_deploy_drill.py).
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack import dynamodb_local, moto_server, processes, redis_server

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-west-2"
# Fake credentials, and no profile or config file of the machine: nothing can reach AWS.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "e2e",
    "AWS_SECRET_ACCESS_KEY": "e2e",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "TICTACTOE_SECRET_KEY": "",  # empty: the config file's key is the one every worker uses
}
UNSET = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"]

# One line per request: which player's browser asked (a header the tests add), which
# instance answered, and how it went. "-" fields are logged by nginx when a value is missing.
LOG_FORMAT = '$http_x_e2e_player "$request" $status "$upstream_addr" "$upstream_status"'
_LINE = re.compile(
    r'(?P<player>\S+) "(?P<request>[^"]*)" (?P<status>\d+) "(?P<up>[^"]*)" "(?P<ups>[^"]*)"'
)
# Where the load balancer says which routes it has (Stack.route): nginx answers it itself.
ROUTES = "/__e2e_routes"
# The paths the stream process serves (Procfile `stream:`); nginx sends them there.
STREAM_PATHS = r"^/api/(games/[A-Za-z0-9_-]+|me)/events$"


@dataclass(frozen=True)
class Hit:
    """One request as nginx logged it."""

    player: str
    request: str
    status: int
    upstream: str  # the instance's "127.0.0.1:port"; comma-separated when nginx tried several
    upstream_status: str


@dataclass
class Instance:
    """One app instance: the Procfile's two processes, each a gunicorn master and its workers,
    and in front of them the instance's own nginx, as on Elastic Beanstalk.

    The web process (two gthread workers, as the tests always had) serves everything but the
    streams; the stream process (one gevent worker, flags from the Procfile's `stream:` line)
    serves the streams. A stream holds a thread of the web process for as long as it is open,
    so a browser that opens only this instance opens its nginx (`url`), never the web port.
    """

    name: str
    port: int  # the web process
    stream_port: int
    front_port: int  # the instance's nginx: a server block of the stack's one nginx
    log: Path  # both processes', as one instance's logs would be read
    proc: subprocess.Popen[bytes] | None = None  # the web process
    stream: subprocess.Popen[bytes] | None = None
    app_dir: Path = ROOT  # where its code comes from: the checkout, or an unzipped bundle

    @property
    def addr(self) -> str:
        """The web process's address: what nginx's log names as the upstream."""
        return f"127.0.0.1:{self.port}"

    @property
    def stream_addr(self) -> str:
        return f"127.0.0.1:{self.stream_port}"

    @property
    def url(self) -> str:
        """This instance alone, through its nginx: what a browser opens to reach only it."""
        return f"http://127.0.0.1:{self.front_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.addr}"

    @property
    def stream_url(self) -> str:
        return f"http://{self.stream_addr}"

    @property
    def procs(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.proc, self.stream) if p is not None]

    def running(self) -> bool:
        """True while both processes run."""
        return len(self.procs) == 2 and all(p.poll() is None for p in self.procs)


@dataclass
class Stack:
    home: Path
    dynamodb_port: int = field(default_factory=processes.free_port)
    s3_port: int = field(default_factory=processes.free_port)
    nginx_port: int = field(default_factory=processes.free_port)
    redis_port: int = field(default_factory=processes.free_port)
    instances: list[Instance] = field(default_factory=list)  # those the load balancer routes to
    started: list[Instance] = field(default_factory=list)  # every one ever started, for `stop`
    routes: int = 0  # how many times nginx has been told which instances to route to
    dynamodb: subprocess.Popen[bytes] | None = None
    s3: subprocess.Popen[bytes] | None = None
    redis: subprocess.Popen[bytes] | None = None
    nginx: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The load balancer's address: what the players' browsers open."""
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def access_log(self) -> Path:
        """The requests to the web processes, each logged when it ends."""
        return self.home / "nginx" / "access.log"

    def start(self) -> Stack:
        """Start everything; both instances at the same instant, against an empty database."""
        self.start_dynamodb()
        self.s3 = moto_server.start(self.s3_port, self.home / "s3.log")
        self.start_redis()
        config = self._write_config()
        free = processes.free_port
        self.instances = [
            Instance(name, free(), free(), free(), self.home / f"app-{name}.log")
            for name in ("a", "b")
        ]
        for instance in self.instances:
            self._spawn(instance, config)
        for instance in self.instances:
            wait_healthy(instance)
        self._start_nginx()
        return self

    def stop(self) -> None:
        """Stop every process this stack started, last started first."""
        instances = [p for i in reversed(self.started) for p in (i.stream, i.proc)]
        for proc in [self.nginx, *instances, self.redis, self.s3, self.dynamodb]:
            if proc is not None:
                processes.stop(proc)

    # -- faults ------------------------------------------------------------------------------

    def kill_instance(self, instance: Instance) -> None:
        """SIGKILL the instance's masters and workers at once, as a crashed machine would."""
        for proc in instance.procs:
            os.killpg(proc.pid, signal.SIGKILL)
        for proc in instance.procs:
            proc.wait(10)

    def terminate_instance(self, instance: Instance) -> None:
        """SIGTERM both processes of the instance, masters and workers at once, as systemd
        stops a unit (a deploy, a scale-in); `wait_stopped` waits for them to exit."""
        for proc in instance.procs:
            os.killpg(proc.pid, signal.SIGTERM)

    def wait_stopped(self, instance: Instance, timeout: float) -> None:
        """Wait until both processes of the instance have exited (TimeoutExpired if not)."""
        deadline = time.monotonic() + timeout
        for proc in instance.procs:
            proc.wait(max(0.0, deadline - time.monotonic()))

    def restart_instance(self, instance: Instance) -> None:
        self._spawn(instance, self.home / "app.toml")
        wait_healthy(instance)

    # -- deploys -----------------------------------------------------------------------------

    def launch(self, old: Instance, app_dir: Path, in_place: bool = False) -> Instance:
        """Start an instance running the code in `app_dir` with the stack's config, to replace
        `old`: on ports of its own, not routed to until `route` says so (a new instance); or,
        `in_place`, on the ports of `old`, which must have stopped (a deploy to the same
        machine, still registered with the load balancer).

        It keeps the name (and so the log) of the one it replaces, as a deploy keeps the
        environment's log groups: what the first instances logged is still read there."""
        free = processes.free_port
        ports = (old.port, old.stream_port, old.front_port)
        if not in_place:
            ports = (free(), free(), free())
        assert not in_place or not any(p.poll() is None for p in old.procs), "stop it first"
        instance = Instance(old.name, *ports, old.log, app_dir=app_dir)
        self._spawn(instance, self.home / "app.toml")
        return instance

    def route(self, instances: list[Instance]) -> None:
        """Make the load balancer send new requests to `instances` only, as registering and
        deregistering targets does; requests and streams under way finish where they are.

        nginx rereads its config at SIGHUP: new workers take the new requests and the old ones
        end once their connections have. Returns once a new worker has answered."""
        assert self.nginx is not None
        self.routes += 1
        self.instances = list(instances)
        home = self.home / "nginx"
        (home / "nginx.conf").write_text(
            nginx_conf(home, self.nginx_port, self.instances, self.routes)
        )
        os.kill(self.nginx.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while routed(self.url) != self.routes:
            if time.monotonic() > deadline or self.nginx.poll() is not None:
                raise RuntimeError(f"nginx did not take the new routes; see {home}/error.log")
            time.sleep(0.05)

    def start_redis(self) -> None:
        """Start the push bus on the stack's port (the instances' config names it)."""
        self.redis = redis_server.start(self.redis_port, self.home / "redis.log")

    def stop_redis(self) -> None:
        """Stop the push bus: the streams end and the pages poll until it is back."""
        assert self.redis is not None
        processes.stop(self.redis)

    def start_dynamodb(self) -> None:
        """Start DynamoDB Local on the stack's port and data directory (kept across restarts)."""
        self.dynamodb = dynamodb_local.start(
            self.dynamodb_port, self.home / "dynamodb-data", self.home / "dynamodb.log"
        )

    def stop_dynamodb(self) -> None:
        assert self.dynamodb is not None
        processes.stop(self.dynamodb)

    def heal(self) -> None:
        """Bring back whatever an earlier test stopped, so each test starts whole."""
        if self.dynamodb is None or self.dynamodb.poll() is not None:
            self.start_dynamodb()
        if self.redis is None or self.redis.poll() is not None:
            self.start_redis()
        for instance in self.instances:
            if not instance.running():
                for proc in instance.procs:  # one of the two died: start both afresh
                    processes.stop(proc)
                self.restart_instance(instance)
            wait_healthy(instance)

    # -- what happened -----------------------------------------------------------------------

    def hits(self) -> list[Hit]:
        """Every request to the web processes that nginx has logged so far (the streams have
        a log of their own, nginx/streams.log: each is logged when it ends, if ever)."""
        if not self.access_log.exists():
            return []
        found = []
        for line in self.access_log.read_text().splitlines():
            m = _LINE.match(line)
            assert m, f"unexpected access log line: {line!r}"
            found.append(Hit(m["player"], m["request"], int(m["status"]), m["up"], m["ups"]))
        return found

    def open_streams(self, instance: Instance) -> int:
        """How many connections the instance's stream process holds open now.

        nginx keeps no idle connections to it (no `keepalive`), so each one is a stream; one
        whose browser left is closed by nginx at once, and stops counting here."""
        return established(instance.stream_port)

    # -- internals ---------------------------------------------------------------------------

    def _write_config(self) -> Path:
        path = self.home / "app.toml"
        path.write_text(
            f'[dynamodb]\nregion = "{REGION}"\nendpoint = "{self.dynamodb_url}"\n\n'
            f'[s3]\nbucket = "e2e-avatars"\nendpoint = "http://127.0.0.1:{self.s3_port}"\n\n'
            f'[flask]\nsecret_key = "{secrets.token_urlsafe(32)}"\ntrusted_proxies = 1\n\n'
            f'[push]\nurl = "{redis_server.url(self.redis_port)}"\n\n'
            # Every browser comes from 127.0.0.1: the limits have tests of their own.
            "[limits]\nfailed_logins_per_account = 0\nlogin_attempts_per_client = 0\n"
            "signups_per_client = 0\n"
        )
        return path

    def _spawn(self, instance: Instance, config: Path) -> None:
        if instance not in self.started:
            self.started.append(instance)
        unset = [arg for name in UNSET for arg in ("-u", name)]
        python = ["env", *unset, sys.executable, "-m", "gunicorn"]
        env = {**AWS_ENV, "CONFIG_FILE": str(config)}
        instance.proc = processes.start(
            [
                *python,
                "--workers",
                "2",
                "--threads",
                "4",
                "--bind",
                instance.addr,
                "--no-control-socket",
                "--access-logfile",
                "-",
                "application:application",
            ],
            log=instance.log,
            env=env,
            cwd=instance.app_dir,
        )
        instance.stream = processes.start(
            [*python, *procfile_stream_args(instance.stream_addr), "--access-logfile", "-"],
            log=instance.log,
            env=env,
            cwd=instance.app_dir,
        )

    def _start_nginx(self) -> None:
        home = self.home / "nginx"
        home.mkdir(exist_ok=True)
        conf = home / "nginx.conf"
        conf.write_text(nginx_conf(home, self.nginx_port, self.instances))
        self.nginx = processes.start(
            [
                "nginx",
                "-p",
                str(home),
                "-e",
                str(home / "error.log"),
                "-c",
                str(conf),
                "-g",
                "daemon off;",
            ],
            log=home / "stdout.log",
        )
        for port in (self.nginx_port, *(i.front_port for i in self.instances)):
            processes.wait_for_port(port, self.nginx, timeout=10)


def stream_graceful_timeout() -> float:
    """The seconds the stream process is given to end its requests when told to stop."""
    args = procfile_stream_args("127.0.0.1:0")
    return float(args[args.index("--graceful-timeout") + 1])


def procfile_stream_args(bind: str) -> list[str]:
    """The Procfile's `stream:` gunicorn arguments, bound to `bind` instead of its port."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("stream:")
    )
    args = shlex.split(line.removeprefix("stream:"))
    assert args[0] == "gunicorn" and "--bind" in args, line
    args[args.index("--bind") + 1] = bind
    return args[1:]


def established(port: int) -> int:
    """How many TCP connections to 127.0.0.1:`port` are open (Linux's /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"  # 127.0.0.1, in the kernel's byte order, and the port
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(r.split()[1] == local and r.split()[3] == "01" for r in rows)  # 01: ESTABLISHED


def nginx_conf(home: Path, port: int, instances: list[Instance], routes: int = 0) -> str:
    """The load balancer on `port`: round-robin over the instances, no stickiness; and each
    instance's own nginx on its `front_port`. All state inside `home`. `routes` numbers the
    config: the load balancer answers it at ROUTES, so a caller sees when a reload is done.

    The stream paths go to the stream processes, unbuffered, as each instance's nginx sends
    them on Elastic Beanstalk; everything else to the web processes. The streams have a log of
    their own: nginx logs a request when it ends, and a stream ends minutes later, if ever."""
    # As root, nginx's workers would drop to "nobody", who cannot use our private temp dir.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"  {kind}_temp_path {home}/{kind}_temp;\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )

    def upstream(name: str, addrs: list[str]) -> str:
        servers = "".join(f"    server {a} max_fails=1 fail_timeout=1s;\n" for a in addrs)
        return f"  upstream {name} {{\n{servers}  }}\n"

    def server(listen: int, web: str, streams: str) -> str:
        proxy = (
            "      proxy_set_header Host $http_host;\n"
            "      proxy_set_header X-Forwarded-For $remote_addr;\n"
            "      proxy_set_header X-Forwarded-Proto $scheme;\n"
            "      proxy_connect_timeout 1s;\n"
            "      proxy_next_upstream error timeout;\n"
        )
        return f"""  server {{
    listen 127.0.0.1:{listen};
    location = {ROUTES} {{ access_log off; return 200 "{routes}"; }}
    location ~ {STREAM_PATHS} {{
      proxy_pass http://{streams};
{proxy}      proxy_buffering off;
      proxy_read_timeout 60s;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      access_log {home}/streams.log e2e;
    }}
    location / {{
      proxy_pass http://{web};
{proxy}    }}
  }}
"""

    blocks = [
        upstream("app", [i.addr for i in instances]),
        upstream("streams", [i.stream_addr for i in instances]),
        server(port, "app", "streams"),
    ]
    for i in instances:
        blocks += [
            # By port: while one replaces another, two instances of the same name are routed.
            upstream(f"app_{i.port}", [i.addr]),
            upstream(f"streams_{i.port}", [i.stream_addr]),
            server(i.front_port, f"app_{i.port}", f"streams_{i.port}"),
        ]
    return f"""{user}worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 256; }}
http {{
  log_format e2e '{LOG_FORMAT}';
  access_log {home}/access.log e2e;
{temps}  client_max_body_size 8m;
{"".join(blocks)}}}
"""


def routed(url: str) -> int:
    """Which routes the nginx at `url` answers with (a new connection: a new worker's, once
    a reload is done); -1 while it does not answer."""
    try:
        with urllib.request.urlopen(url + ROUTES, timeout=2) as response:
            return int(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return -1


def wait_healthy(instance: Instance, timeout: float = 60) -> None:
    """Wait until both of the instance's processes answer /health with 200."""
    for proc, url in ((instance.proc, instance.web_url), (instance.stream, instance.stream_url)):
        processes.wait_healthy(proc, url, f"instance {instance.name} ({instance.log})", timeout)
