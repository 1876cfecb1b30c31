"""The push stack's nginx: its config (a port per mode, the stream paths apart) and its start."""

from __future__ import annotations

import getpass
import os
import subprocess

from devstack import processes

from .harness.instances import MODES, STREAM_PATHS, PushStack


def nginx_conf(running: PushStack) -> str:
    home = running.home / "nginx"
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"  {kind}_temp_path {home}/{kind}_temp;\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    upstreams, servers = [], []
    for mode in MODES:
        for kind in ("web", "stream"):
            members = "".join(f"    server {getattr(i, kind).addr};\n" for i in running.of(mode))
            # No idle connections kept to the web processes, as on Elastic Beanstalk (its
            # default proxy opens one per request): a pool here races gunicorn's 2 s
            # keep-alive, and a POST sent on a connection gunicorn just closed is a 502.
            upstreams.append(f"  upstream {kind}_{mode} {{\n{members}  }}\n")
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


def start_nginx(running: PushStack) -> subprocess.Popen[bytes]:
    home = running.home / "nginx"
    home.mkdir(exist_ok=True)
    conf = home / "nginx.conf"
    conf.write_text(nginx_conf(running))
    nginx = processes.start(
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
    for port in running.ports.values():
        processes.wait_for_port(port, nginx, timeout=10)
    return nginx
