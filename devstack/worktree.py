"""A git ref checked out in a worktree of its own, so a stack can run that version's code."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """Check `ref` out (detached) in a temporary folder; remove it on the way out."""
    folder = Path(tempfile.mkdtemp(prefix="devstack-worktree-"))
    try:
        _git("worktree", "add", "--detach", "--force", str(folder), f"{ref}^{{commit}}")
        yield folder
    finally:
        try:
            _git("worktree", "remove", "--force", str(folder))
        except subprocess.CalledProcessError:
            pass  # never added, or already gone: the folder goes below, prune forgets it
        shutil.rmtree(folder, ignore_errors=True)
        _git("worktree", "prune")
