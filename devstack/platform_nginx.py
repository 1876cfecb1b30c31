"""Elastic Beanstalk's nginx, laid out on loopback from an app folder's .platform/nginx files.

What the Python platform on Amazon Linux 2023 does on an instance ("Reverse proxy
configuration" and "Serving static files" in the Elastic Beanstalk developer guide), done in a
folder of our own instead of /etc/nginx:
- nginx.conf is the bundle's .platform/nginx/nginx.conf when it has one, else the platform's
  default (DEFAULT_NGINX_CONF);
- the bundle's .platform/nginx/conf.d/*.conf go into conf.d/, included in the http block, and
  its conf.d/elasticbeanstalk/*.conf into conf.d/elasticbeanstalk/, included in the server;
- beside them the files the platform generates: the healthd log format (conf.d/), and in
  conf.d/elasticbeanstalk/ the default proxy to the web process (00_application.conf), one
  alias location per static mapping (01_static.conf: /static -> static unless .ebextensions
  maps it elsewhere) and the enhanced-health log (healthd.conf). A bundle file of the same
  name replaces a generated one, as on the platform.

Then the instance's addresses become local ones, and only these: port 80 becomes the port
given, the web process's 127.0.0.1:8000 and the stream process's 127.0.0.1:8001 become the
addresses given, /var/log/nginx, the pid file and the temp folders move into the folder, and
`user nginx` becomes the current user (root) or goes (anyone else). Each of these must be
found where expected, so a config that no longer has them fails here rather than on AWS.

Used by every instance of devstack's stack (devstack/instance.py: `make run`, the browser
tests, the benchmarks) and by tests/deploy/test_bundle_runs.py (the unzipped bundle), so all of
them route requests as the instances do.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from . import processes

# Where the platform's default proxy and our stream location send requests (Procfile binds).
WEB = "127.0.0.1:8000"
STREAM = "127.0.0.1:8001"
STATIC_NAMESPACE = "aws:elasticbeanstalk:environment:proxy:staticfiles"
# The Python platform serves a top-level folder named static at /static by default.
DEFAULT_STATIC = {"/static": "static"}

# The platform's /etc/nginx/nginx.conf, used when the bundle has none: as found on Amazon Linux
# instances (the platform picks worker_rlimit_nofile per instance; this is one value seen).
DEFAULT_NGINX_CONF = """\
#Elastic Beanstalk Nginx Configuration File

user                    nginx;
error_log               /var/log/nginx/error.log warn;
pid                     /var/run/nginx.pid;
worker_processes        auto;
worker_rlimit_nofile    32633;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    include       conf.d/*.conf;

    map $http_upgrade $connection_upgrade {
        default     "upgrade";
    }

    server {
        listen        80 default_server;
        access_log    /var/log/nginx/access.log main;

        client_header_timeout 60;
        client_body_timeout   60;
        keepalive_timeout     60;
        gzip                  off;
        gzip_comp_level       4;
        gzip_types text/plain text/css application/json application/javascript
                   application/x-javascript text/xml application/xml application/xml+rss
                   text/javascript;

        # Include the Elastic Beanstalk generated locations
        include conf.d/elasticbeanstalk/*.conf;
    }
}
"""

# What the platform writes next to the bundle's files.
HEALTHD_LOG_FORMAT = """\
log_format healthd '$msec"$uri"'
                   '$status"$request_time"$upstream_response_time"'
                   '$http_x_forwarded_for';
"""
APPLICATION = f"""\
location / {{
    proxy_pass          http://{WEB};
    proxy_http_version  1.1;

    proxy_set_header    Connection          $connection_upgrade;
    proxy_set_header    Upgrade             $http_upgrade;
    proxy_set_header    Host                $host;
    proxy_set_header    X-Real-IP           $remote_addr;
    proxy_set_header    X-Forwarded-For     $proxy_add_x_forwarded_for;
}}
"""
HEALTHD = """\
if ($time_iso8601 ~ "^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2})") {
    set $year $1;
    set $month $2;
    set $day $3;
    set $hour $4;
}
access_log /var/log/nginx/healthd/application.log.$year-$month-$day-$hour healthd;
"""


def static_mappings(app_dir: Path) -> dict[str, str]:
    """Return URL path -> folder: the platform's default, updated by every .ebextensions file."""
    found = dict(DEFAULT_STATIC)
    for path in sorted((app_dir / ".ebextensions").glob("*.config")):
        options = (yaml.safe_load(path.read_text()) or {}).get("option_settings", {})
        found |= {str(k): str(v) for k, v in options.get(STATIC_NAMESPACE, {}).items()}
    return found


def static_locations(app_dir: Path, mappings: dict[str, str]) -> str:
    """The platform's 01_static.conf: an alias location per mapping, slashes as configured."""
    blocks = []
    for url, folder in mappings.items():
        alias = str(app_dir / folder.strip("/")) + ("/" if folder.endswith("/") else "")
        blocks.append(f"location {url} {{\n    alias {alias};\n    access_log off;\n}}\n")
    return "".join(blocks)


def write(app_dir: Path, home: Path, port: int, web: str, stream: str) -> Path:
    """Lay out nginx's configuration for `app_dir` under `home`; return its nginx.conf."""
    conf = home / "conf"
    server_dir = conf / "conf.d" / "elasticbeanstalk"
    server_dir.mkdir(parents=True)
    # html: the default root, which nginx looks for when a log path holds variables.
    for name in ("log/healthd", "temp", "html"):
        (home / name).mkdir(parents=True, exist_ok=True)
    platform = app_dir / ".platform" / "nginx"
    generated = {
        conf / "conf.d" / "healthd_logformat.conf": HEALTHD_LOG_FORMAT,
        server_dir / "00_application.conf": APPLICATION,
        server_dir / "01_static.conf": static_locations(app_dir, static_mappings(app_dir)),
        server_dir / "healthd.conf": HEALTHD,
    }
    for path, text in generated.items():
        path.write_text(text)
    for sub in ("conf.d", "conf.d/elasticbeanstalk"):
        for path in sorted((platform / sub).glob("*.conf")):
            shutil.copyfile(path, conf / sub / path.name)
    main = platform / "nginx.conf"
    (conf / "nginx.conf").write_text(DEFAULT_NGINX_CONF if not main.is_file() else main.read_text())
    for path in sorted(conf.rglob("*.conf")):
        path.write_text(
            _localize(path.read_text(), path == conf / "nginx.conf", home, port, web, stream)
        )
    return conf / "nginx.conf"


def _localize(text: str, main: bool, home: Path, port: int, web: str, stream: str) -> str:
    text = text.replace("/var/log/nginx", str(home / "log"))
    text = text.replace(f"http://{WEB}", f"http://{web}")
    text = text.replace(f"http://{STREAM}", f"http://{stream}")
    if not main:
        return text
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    temps = "".join(
        f"\n    {kind}_temp_path {home / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    for pattern, replacement in (
        (r"^user\s+nginx;", user),
        (r"^pid\s+/var/run/nginx\.pid;", f"pid {home / 'nginx.pid'};"),
        (r"^http \{", "http {" + temps),
        (r"^(\s*)listen\s+80 default_server;", rf"\g<1>listen 127.0.0.1:{port} default_server;"),
        (r"^\s*include\s+conf\.d/\*\.conf;", r"\g<0>"),
        (r"^\s*include\s+conf\.d/elasticbeanstalk/\*\.conf;", r"\g<0>"),
    ):
        text, count = re.subn(pattern, _expander(replacement), text, count=1, flags=re.MULTILINE)
        if count != 1:
            raise ValueError(f"nginx.conf: no line matches {pattern!r}, as the platform's has")
    return text


def _expander(template: str) -> Callable[[re.Match[str]], str]:
    """A replacement for re.subn that expands `template`'s group references."""
    return lambda match: match.expand(template)


def executable() -> str:
    """Debian's nginx: on the PATH, or in /usr/sbin, which a normal user's PATH lacks."""
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start(conf: Path, home: Path) -> subprocess.Popen[bytes]:
    """Check the configuration, then run nginx in the foreground in its own process group."""
    args = [executable(), "-p", str(home), "-e", str(home / "log" / "error.log"), "-c", str(conf)]
    checked = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True)
    if checked.returncode:
        raise RuntimeError(f"nginx -t refused {conf}:\n{checked.stderr}")
    return processes.start([*args, "-g", "daemon off;"], log=home / "log" / "stdout.log")
