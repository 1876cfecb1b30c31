"""A bad config stops each Procfile process for good: gunicorn's master halts, no restart loop.

Each process is started as the Procfile writes it (only --bind moved to a free loopback port),
from the repository, with a config file holding an unknown key. Elastic Beanstalk sees the
process exit and the deploy fail; before the fix the master restarted its workers forever.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devstack import processes
from tests.deploy.test_bundle_runs import procfile_command, rebind
from tests.support import ROOT

pytestmark = pytest.mark.stack

# Booting a worker imports the app (gevent's monkey-patching too): a few seconds at most. A
# master still running after this is restarting its workers.
EXIT_WITHIN = 60
# gunicorn's Arbiter.WORKER_BOOT_ERROR: the master exits with it after "Worker failed to boot."
BOOT_ERROR = 3


@pytest.mark.parametrize("name", ["web", "stream"])
def test_a_bad_config_stops_the_procfile_process(name: str, tmp_path: Path) -> None:
    bad = tmp_path / "app.toml"
    bad.write_text('[dynamodb]\nregion = "us-west-2"\ncolour = "blue"\n')
    args = rebind(procfile_command(ROOT, name), name, f"127.0.0.1:{processes.free_port()}")
    assert args[0] == "gunicorn"
    workers = int(args[args.index("--workers") + 1])
    env = {"CONFIG_FILE": str(bad), "PATH": "/usr/bin:/bin"}
    with subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as master:
        try:
            output, _ = master.communicate(timeout=EXIT_WITHIN)
        except subprocess.TimeoutExpired:
            master.kill()
            output, _ = master.communicate()
            pytest.fail(f"gunicorn ({name}) still running after {EXIT_WITHIN} s:\n{output}")
    line = f"configuration error: {bad}: unknown key [dynamodb].colour"
    lines = output.splitlines()
    # The master halts with the workers' status, 3. When two workers fail at once, gunicorn's
    # halt meets the second one's status too and ends with its own traceback and 1: stopped
    # all the same, which is what Elastic Beanstalk sees.
    assert master.returncode == BOOT_ERROR or (workers > 1 and master.returncode == 1), output
    assert "exited with code 3." in output and "Worker failed to boot." in output, output
    # Once per worker booted before the master halted; a restart loop would print it again.
    assert 1 <= lines.count(line) <= workers, output
    assert "application.py" not in output, output  # no traceback of ours, only the line
