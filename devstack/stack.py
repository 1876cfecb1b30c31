"""The production shape on loopback, the one `make run`, the browser tests and the benchmarks
start: DynamoDB Local (or an endpoint given), moto's S3, a redis-server for the push bus (or
push off), and N app instances (instance.py: the Procfile's `web:` and `stream:` gunicorns from
an app folder, behind the instance's own nginx laid out as Elastic Beanstalk's platform lays it
out); in front of them, when there is more than one or when asked, a load balancer
(balancer.py).

Every process is started here, in a process group of its own, owned by PID and stopped by
`stop`, whatever happened. `launch` and `route` replace instances as a deploy does; `revive`
and `heal` bring back what a fault took.
"""

from __future__ import annotations

import secrets
import string
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from . import (
    balancer,
    dynamodb_local,
    moto_server,
    processes,
    procfile,
    redis_server,
)
from .balancer import Hit
from .config import AWS_ENV, Tables, app_config
from .instance import Instance
from .worktree import worktree

ROOT = Path(__file__).resolve().parent.parent
Popen = subprocess.Popen[bytes]


@dataclass(eq=False)
class Stack:
    """What to start (the fields up to `secret`) and, once started, what runs."""

    home: Path  # logs, configs, data and nginx folders
    count: int = 1  # app instances; 0: the services alone
    push: bool = True  # a bus for the instances (`redis_url`, or a redis-server started here)
    balancer: bool | None = None  # None: when there is more than one instance
    app_dir: Path = ROOT
    ref: str = ""  # given: the instances run this git ref, checked out in a worktree
    name: str = "app"  # names the logs and labels the processes
    port: int = 0  # where players connect: the load balancer, else the first instance's nginx
    config: Path | None = None  # the app's config file; None: one written from the services
    settings: Tables = field(default_factory=dict)  # added to the one written
    env: dict[str, str] = field(default_factory=dict)  # more for every app process
    hooks: dict[str, str] = field(default_factory=dict)  # for devstack/hooks.py, loaded if any
    dynamodb_url: str = ""  # given: used; else DynamoDB Local started on `dynamodb_port`
    s3_url: str = ""
    redis_url: str = ""
    dynamodb_port: int = 0  # 0: a free one
    s3_port: int = 0
    redis_port: int = 0
    dynamodb_data: Path | None = None  # None: home/dynamodb-data
    logs: tuple[str, str] = ("{stack}-{instance}-web.log", "{stack}-{instance}-stream.log")
    nginx_dir: str = "nginx/{stack}-{instance}-{port}"
    log_requests: bool = True  # the load balancer's request logs
    origin: bool = True  # write [flask] public_origin (False: a tree older than the key)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    instances: list[Instance] = field(default_factory=list, init=False)  # those routed to
    started: list[Instance] = field(default_factory=list, init=False)  # all, for `stop`
    dynamodb: Popen | None = field(default=None, init=False)  # each None unless started here
    s3: Popen | None = field(default=None, init=False)
    redis: Popen | None = field(default=None, init=False)
    front: Popen | None = field(default=None, init=False)  # the load balancer
    routes: int = field(default=0, init=False)
    _checkouts: ExitStack = field(default_factory=ExitStack, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.balancer is None:
            self.balancer = self.count > 1
        self.port = self.port or processes.free_port()

    @property
    def url(self) -> str:
        """Where the players' browsers go."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        """The load balancer's log of the requests other than the streams."""
        return self.home / "balancer" / "access.log"

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Stack:
        """Start everything, the instances at the same instant; stop it all if a part fails."""
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            if self.ref:
                self.app_dir = self._checkouts.enter_context(worktree(self.ref))
            self._start_services()
            if self.count:
                self.config = self.config or self._write_config()
                # Without a load balancer the first instance's nginx is where players connect.
                fronts = [self.port if not self.balancer else 0] + [0] * (self.count - 1)
                self.instances = [
                    self._instance(string.ascii_lowercase[i], self.app_dir, front=front)
                    for i, front in enumerate(fronts)
                ]
                for instance in self.instances:
                    self._spawn(instance)
                for instance in self.instances:
                    instance.wait_healthy()
                if self.balancer:
                    self._start_balancer()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process this stack started: all told at once, then waited for."""
        everyone = [self.front, *(p for i in self.started for p in i.procs)]
        everyone += [self.redis, self.s3, self.dynamodb]
        processes.stop_all([p for p in everyone if p is not None])
        self._checkouts.close()

    def stop_instances(self) -> None:
        """Stop every instance's processes (their workers write what they counted as they go)."""
        processes.stop_all([p for i in self.started for p in i.procs], timeout=20)

    # -- services ----------------------------------------------------------------------------

    def start_dynamodb(self) -> None:
        """Start DynamoDB Local on the stack's port and data folder (kept across restarts);
        moto's server, which keeps nothing, when there is no Java."""
        log = self.home / "dynamodb.log"
        if dynamodb_local.java_available():
            data = self.dynamodb_data or self.home / "dynamodb-data"
            self.dynamodb = dynamodb_local.start(self.dynamodb_port, data, log)
        else:
            self.dynamodb = moto_server.start(self.dynamodb_port, log)

    def stop_dynamodb(self) -> None:
        assert self.dynamodb is not None, "DynamoDB was given, not started here"
        processes.stop(self.dynamodb)

    def start_redis(self) -> None:
        """Start the push bus on the stack's port (the instances' environment names it)."""
        self.redis = redis_server.start(self.redis_port, self.home / "redis.log")

    def stop_redis(self) -> None:
        """Stop the push bus: the streams end and the pages poll until it is back."""
        assert self.redis is not None, "the bus was given, not started here"
        processes.stop(self.redis)

    def revive(self) -> list[str]:
        """Start again each service started here that has exited (DynamoDB Local keeps its
        data on disk, the bus holds nothing); return what was started, for a log line."""
        revived = []
        if self.dynamodb is not None and self.dynamodb.poll() is not None:
            self.start_dynamodb()
            revived.append(f"DynamoDB on port {self.dynamodb_port}")
        if self.redis is not None and self.redis.poll() is not None:
            self.start_redis()
            revived.append(f"redis-server on port {self.redis_port}")
        return revived

    def dead(self) -> str | None:
        """Name a process started here that has exited and that `revive` cannot replace."""
        parts = [("moto's S3", self.s3), ("the load balancer", self.front)]
        for i in self.instances:
            parts += [(f"{i.name}: web", i.web), (f"{i.name}: stream", i.stream)]
            parts += [(f"{i.name}: nginx", i.nginx)]
        for name, proc in parts:
            if proc is not None and proc.poll() is not None:
                return f"{name} (exit status {proc.returncode})"
        return None

    # -- instances ---------------------------------------------------------------------------

    def restart(self, instance: Instance) -> None:
        """Start the instance's processes again, on its ports, and wait for them."""
        processes.stop_all(instance.procs)
        self._spawn(instance)
        instance.wait_healthy()

    def launch(self, old: Instance, app_dir: Path, in_place: bool = False) -> Instance:
        """Start an instance running the code in `app_dir` to replace `old`: on ports of its
        own, not routed to until `route` says so (a new instance); or, `in_place`, on the
        ports of `old`, which must have stopped (a deploy to the same machine, still
        registered). It keeps the name and logs of `old`, as a deploy keeps the log groups."""
        assert not in_place or not any(p.poll() is None for p in old.procs), "stop it first"
        ports = (old.web_port, old.stream_port, old.front_port) if in_place else (0, 0, 0)
        new = self._instance(old.name, app_dir, *ports)
        new.web_log, new.stream_log = old.web_log, old.stream_log
        self._spawn(new)
        return new

    def route(self, instances: list[Instance]) -> None:
        """Make the load balancer send new requests to `instances` only, as registering and
        deregistering targets does; requests and streams under way finish where they are.
        Returns once the load balancer answers with the new routes."""
        assert self.front is not None, "no load balancer"
        self.routes += 1
        self.instances = list(instances)
        self._write_balancer()
        try:
            balancer.reload(self.front, self.url, self.routes)
        except RuntimeError as err:
            raise RuntimeError(f"{err}; see {self.home}/balancer") from err

    def heal(self) -> None:
        """Bring back whatever was stopped or killed, so the next user finds the stack whole."""
        self.revive()
        for instance in self.instances:
            if not instance.running():
                self.restart(instance)
            instance.wait_healthy()

    def hits(self) -> list[Hit]:
        """Every request but the streams that the load balancer has logged so far."""
        return balancer.hits(self.access_log)

    # -- internals ---------------------------------------------------------------------------

    def _start_services(self) -> None:
        if not self.dynamodb_url:
            self.dynamodb_port = self.dynamodb_port or processes.free_port()
            self.dynamodb_url = f"http://127.0.0.1:{self.dynamodb_port}"
            self.start_dynamodb()
        if not self.s3_url:
            self.s3_port = self.s3_port or processes.free_port()
            self.s3_url = f"http://127.0.0.1:{self.s3_port}"
            self.s3 = moto_server.start(self.s3_port, self.home / "s3.log")
        if self.push and not self.redis_url:
            self.redis_port = self.redis_port or processes.free_port()
            self.redis_url = redis_server.url(self.redis_port)
            self.start_redis()

    def _write_config(self) -> Path:
        path = self.home / f"{self.name}.toml"
        proxies = 2 if self.balancer else 1
        path.write_text(
            app_config(
                self.dynamodb_url,
                self.s3_url,
                self.url if self.origin else None,
                proxies,
                self.settings,
            )
        )
        return path

    def _instance(
        self, name: str, app_dir: Path, web: int = 0, stream: int = 0, front: int = 0
    ) -> Instance:
        """A new instance, on the ports given or free ones."""
        free = processes.free_port
        web, stream, front = web or free(), stream or free(), front or free()
        names = {"stack": self.name, "instance": name, "port": front}
        web_log, stream_log = (self.home / log.format(**names) for log in self.logs)
        home = self.home / self.nginx_dir.format(**names)
        return Instance(name, app_dir, web, stream, front, web_log, stream_log, home)

    def _spawn(self, instance: Instance) -> None:
        if instance not in self.started:
            self.started.append(instance)
        env = {
            **AWS_ENV,
            "CONFIG_FILE": str(self.config),
            "TICTACTOE_SECRET_KEY": self.secret,  # one key for every instance, as on AWS
            "TICTACTOE_PUSH_URL": self.redis_url if self.push else "",  # empty: push off
            "PYTHONPATH": str(instance.app_dir),  # its own tree's application and package
            **self.env,
            **self.hooks,
        }
        instance.start(env, f"{self.name}-{instance.name}", hooks=bool(self.hooks))

    def _write_balancer(self) -> Path:
        addrs = [i.addr for i in self.instances]
        home = self.home / "balancer"
        return balancer.write(home, self.port, addrs, self.routes, self.log_requests)

    def _start_balancer(self) -> None:
        self.front = balancer.start(self._write_balancer(), self.port)


def stream_graceful_timeout(root: Path = ROOT) -> float:
    """The seconds the stream process is given to end its requests when told to stop."""
    return float(procfile.option("stream", "--graceful-timeout", root))
