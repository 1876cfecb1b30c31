"""The production shape on loopback: DynamoDB Local, moto's S3, two gunicorn instances and nginx.

Every process is started here, owned by PID and stopped by `Stack.stop`, whatever happened.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack import dynamodb_local, moto_server, processes

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
    """One app instance: a gunicorn master with two workers."""

    name: str
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.addr}"


@dataclass
class Stack:
    home: Path
    dynamodb_port: int = field(default_factory=processes.free_port)
    s3_port: int = field(default_factory=processes.free_port)
    nginx_port: int = field(default_factory=processes.free_port)
    instances: list[Instance] = field(default_factory=list)
    dynamodb: subprocess.Popen[bytes] | None = None
    s3: subprocess.Popen[bytes] | None = None
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
        return self.home / "nginx" / "access.log"

    def start(self) -> Stack:
        """Start everything; both instances at the same instant, against an empty database."""
        self.start_dynamodb()
        self.s3 = moto_server.start(self.s3_port, self.home / "s3.log")
        config = self._write_config()
        self.instances = [
            Instance(name, processes.free_port(), self.home / f"app-{name}.log")
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
        for proc in [self.nginx, *(i.proc for i in reversed(self.instances)), self.s3,
                     self.dynamodb]:  # fmt: skip
            if proc is not None:
                processes.stop(proc)

    # -- faults ------------------------------------------------------------------------------

    def kill_instance(self, instance: Instance) -> None:
        """SIGKILL the instance's master and workers at once, as a crashed machine would."""
        assert instance.proc is not None
        os.killpg(instance.proc.pid, signal.SIGKILL)
        instance.proc.wait(10)

    def restart_instance(self, instance: Instance) -> None:
        self._spawn(instance, self.home / "app.toml")
        wait_healthy(instance)

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
        for instance in self.instances:
            if instance.proc is None or instance.proc.poll() is not None:
                self.restart_instance(instance)
            wait_healthy(instance)

    # -- what happened -----------------------------------------------------------------------

    def hits(self) -> list[Hit]:
        """Every request nginx has logged so far."""
        if not self.access_log.exists():
            return []
        found = []
        for line in self.access_log.read_text().splitlines():
            m = _LINE.match(line)
            assert m, f"unexpected access log line: {line!r}"
            found.append(Hit(m["player"], m["request"], int(m["status"]), m["up"], m["ups"]))
        return found

    # -- internals ---------------------------------------------------------------------------

    def _write_config(self) -> Path:
        path = self.home / "app.toml"
        path.write_text(
            f'[dynamodb]\nregion = "{REGION}"\nendpoint = "{self.dynamodb_url}"\n\n'
            f'[s3]\nbucket = "e2e-avatars"\nendpoint = "http://127.0.0.1:{self.s3_port}"\n\n'
            f'[flask]\nsecret_key = "{secrets.token_urlsafe(32)}"\ntrusted_proxies = 1\n\n'
            # Every browser comes from 127.0.0.1: the limits have tests of their own.
            "[limits]\nfailed_logins_per_account = 0\nlogin_attempts_per_client = 0\n"
            "signups_per_client = 0\n"
        )
        return path

    def _spawn(self, instance: Instance, config: Path) -> None:
        unset = [arg for name in UNSET for arg in ("-u", name)]
        instance.proc = processes.start(
            ["env", *unset, sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
             "--bind", instance.addr, "--no-control-socket", "--access-logfile", "-",
             "application:application"],
            log=instance.log,
            env={**AWS_ENV, "CONFIG_FILE": str(config)},
            cwd=ROOT,
        )  # fmt: skip

    def _start_nginx(self) -> None:
        home = self.home / "nginx"
        home.mkdir(exist_ok=True)
        conf = home / "nginx.conf"
        conf.write_text(nginx_conf(home, self.nginx_port, [i.addr for i in self.instances]))
        self.nginx = processes.start(
            ["nginx", "-p", str(home), "-e", str(home / "error.log"), "-c", str(conf),
             "-g", "daemon off;"],
            log=home / "stdout.log",
        )  # fmt: skip
        processes.wait_for_port(self.nginx_port, self.nginx, timeout=10)


def nginx_conf(home: Path, port: int, upstreams: list[str]) -> str:
    """Round-robin over the instances, no stickiness; all state inside `home`."""
    # As root, nginx's workers would drop to "nobody", who cannot use our private temp dir.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    servers = "".join(f"    server {addr} max_fails=1 fail_timeout=1s;\n" for addr in upstreams)
    temps = "".join(
        f"  {kind}_temp_path {home}/{kind}_temp;\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 256; }}
http {{
  log_format e2e '{LOG_FORMAT}';
  access_log {home}/access.log e2e;
{temps}  client_max_body_size 8m;
  upstream app {{
{servers}  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout;
    }}
  }}
}}
"""


def wait_healthy(instance: Instance, timeout: float = 60) -> None:
    """Wait until the instance's /health answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        assert instance.proc is not None
        if instance.proc.poll() is not None:
            raise RuntimeError(f"instance {instance.name} exited; see {instance.log}")
        try:
            with urllib.request.urlopen(f"{instance.url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"instance {instance.name} not healthy in {timeout} s")
        time.sleep(0.2)
