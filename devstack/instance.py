"""One app instance on loopback: the Procfile's two processes behind the instance's nginx."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import platform_nginx, processes, procfile
from .config import UNSET

HOOKS = Path(__file__).with_name("hooks.py")
Popen = subprocess.Popen[bytes]


@dataclass(eq=False)
class Instance:
    """The Procfile's `web:` and `stream:` processes, each a gunicorn master and its workers,
    and in front of them the instance's own nginx (`url`), as on Elastic Beanstalk."""

    name: str
    app_dir: Path  # where its code comes from: the checkout, an unzipped bundle, a worktree
    web_port: int
    stream_port: int
    front_port: int  # its nginx
    web_log: Path
    stream_log: Path
    nginx_home: Path
    web: Popen | None = None
    stream: Popen | None = None
    nginx: Popen | None = None

    @property
    def addr(self) -> str:
        """The instance's nginx: what the load balancer sends to, and names in its log."""
        return f"127.0.0.1:{self.front_port}"

    @property
    def url(self) -> str:
        """This instance alone, through its nginx: what a browser opens to reach only it."""
        return f"http://{self.addr}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def stream_url(self) -> str:
        return f"http://127.0.0.1:{self.stream_port}"

    @property
    def log(self) -> Path:
        return self.web_log

    @property
    def procs(self) -> list[Popen]:
        return [p for p in (self.web, self.stream, self.nginx) if p is not None]

    def running(self) -> bool:
        """True while both processes and the nginx run."""
        return len(self.procs) == 3 and all(p.poll() is None for p in self.procs)

    def start(self, env: dict[str, str], label: str, hooks: bool = False) -> None:
        """Start both processes with `env` (`label` names them to devstack/hooks.py, loaded
        when `hooks`), then nginx, configured from the app folder as the platform does."""
        extra = ["--config", str(HOOKS)] if hooks else []
        for kind, port, log in (
            ("web", self.web_port, self.web_log),
            ("stream", self.stream_port, self.stream_log),
        ):
            args = [*procfile.command(kind, f"127.0.0.1:{port}", self.app_dir), *extra]
            named = env | {"DEVSTACK_LABEL": f"{label}-{kind}"}
            proc = processes.start(args, log, env=named, cwd=self.app_dir, unset=UNSET)
            setattr(self, kind, proc)
        shutil.rmtree(self.nginx_home, ignore_errors=True)
        web, stream = f"127.0.0.1:{self.web_port}", f"127.0.0.1:{self.stream_port}"
        conf = platform_nginx.write(self.app_dir, self.nginx_home, self.front_port, web, stream)
        self.nginx = platform_nginx.start(conf, self.nginx_home)

    def wait_healthy(self, timeout: float = 90) -> None:
        """Wait until both processes, and nginx in front of them, answer /health with 200."""
        label = f"instance {self.name} ({self.web_log})"
        for proc, url in ((self.web, self.web_url), (self.stream, self.stream_url)):
            processes.wait_healthy(proc, url, label, timeout)
        processes.wait_healthy(self.nginx, self.url, f"{label}'s nginx", 10)

    def kill(self) -> None:
        """SIGKILL nginx and both processes with their workers, as a crashed machine."""
        for proc in self.procs:
            processes.signal_group(proc.pid, signal.SIGKILL)
        for proc in self.procs:
            proc.wait(10)

    def terminate(self) -> None:
        """Stop as the platform stops an instance: nginx takes no new connections (the open
        ones, streams too, go on until they end), then SIGTERM to both processes, masters and
        workers at once, as systemd stops a unit. `wait_stopped` waits for the end."""
        if self.nginx is not None and self.nginx.poll() is None:
            os.kill(self.nginx.pid, signal.SIGQUIT)  # nginx's graceful shutdown
            deadline = time.monotonic() + 5
            while processes.listening(self.front_port) and time.monotonic() < deadline:
                time.sleep(0.02)
        for proc in (self.web, self.stream):
            if proc is not None:
                processes.signal_group(proc.pid, signal.SIGTERM)

    def wait_stopped(self, timeout: float) -> None:
        """Wait until every process of the instance has exited (TimeoutExpired if not)."""
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            proc.wait(max(0.0, deadline - time.monotonic()))

    def open_streams(self) -> int:
        """How many connections the stream process holds open now: nginx keeps none idle,
        so each is a stream, closed at once when its browser leaves."""
        return established(self.stream_port)


def established(port: int) -> int:
    """How many TCP connections to 127.0.0.1:`port` are open (Linux's /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"  # 127.0.0.1, in the kernel's byte order, and the port
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(r.split()[1] == local and r.split()[3] == "01" for r in rows)  # 01: ESTABLISHED
