"""The baseline `make bench` compares against: a git ref, checked out in a temporary worktree.

The ref is BASELINE from the environment, else the latest tag (`git describe --tags
--abbrev=0`), else origin/main, else HEAD. `worktree(ref)` checks it out with `git worktree
add --detach` in a temporary folder and removes the worktree (and the folder) on the way out,
whatever happened. The baseline runs only through its own entry points (bench/harness/sides.py): its
code is never imported here.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness.stack import ROOT
from devstack.worktree import worktree as devstack_worktree


@dataclass(frozen=True)
class Ref:
    name: str  # what it was asked as: "v0.18", "origin/main" ...
    commit: str
    why: str  # how it was chosen


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _commit(ref: str) -> str | None:
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError:
        return None


def choose() -> Ref:
    """The baseline ref: BASELINE, the latest tag, origin/main or HEAD, the first that exists."""
    wanted = os.environ.get("BASELINE", "").strip()
    if wanted:
        commit = _commit(wanted)
        if commit is None:
            raise SystemExit(f"BASELINE={wanted!r} names no commit in this repository")
        return Ref(wanted, commit, "BASELINE")
    try:
        tag = _git("describe", "--tags", "--abbrev=0")
    except subprocess.CalledProcessError:
        tag = ""
    for name, why in ((tag, "the latest tag"), ("origin/main", "origin/main"), ("HEAD", "HEAD")):
        commit = _commit(name) if name else None
        if commit:
            return Ref(name, commit, why)
    raise SystemExit("no baseline: the repository has no commit")


def current() -> dict[str, str | bool]:
    """What "current" is: HEAD's commit and whether the working tree has changes on top."""
    return {"commit": _git("rev-parse", "HEAD"), "changed": bool(_git("status", "--porcelain"))}


@contextmanager
def worktree(ref: Ref) -> Iterator[Path]:
    """Check `ref` out in a temporary worktree; remove it on the way out (devstack's own)."""
    with devstack_worktree(ref.commit) as folder:
        yield folder
