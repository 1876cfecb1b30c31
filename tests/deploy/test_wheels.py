"""Graviton: every package the instances install has a wheel for 64-bit Arm Linux.

The platform is "Python 3.11 running on 64bit Amazon Linux 2023" and the default instance type
a t4g (Graviton, aarch64), where `pip install -r requirements.txt` must find a wheel for each
package: a package published as source only would need a compiler the instance does not have,
and the deploy would fail there. So this asks the package index, as pip on the instance would,
for CPython 3.11 wheels built for manylinux on aarch64 (Amazon Linux 2023 has glibc 2.34, so
manylinux_2_17 to manylinux_2_34) or for any platform, and nothing else.

With their dependencies, not only the pinned names: gevent's greenlet, zope.interface and
Flask's markupsafe are compiled too, and requirements.txt does not pin them. This reaches the
package index (as `make test` does to install); the wheels are kept under .local/, keyed by
requirements.txt's contents, so a second run checks the kept files without asking again.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.support import ROOT

REQUIREMENTS = ROOT / "requirements.txt"
PYTHON = (3, 11)
GLIBC_MINORS = range(17, 35)  # manylinux_2_17 (manylinux2014) to Amazon Linux 2023's 2.34
PLATFORMS = ["manylinux2014_aarch64"] + [f"manylinux_2_{m}_aarch64" for m in GLIBC_MINORS]
PIN = re.compile(r"^\s*([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;#]+)")
DONE = "complete"  # written last: a folder without it is an interrupted download


def accepted_tags() -> set[Tag]:
    """The wheel tags pip on the instance (CPython 3.11, aarch64) installs."""
    platforms = list(reversed(PLATFORMS))
    tags = set(cpython_tags(PYTHON, abis=["cp311"], platforms=platforms))
    tags |= set(compatible_tags(PYTHON, interpreter="cp311", platforms=platforms))
    return tags


def pins() -> dict[str, str]:
    """{name: version} for each line of requirements.txt."""
    found = {}
    for line in REQUIREMENTS.read_text().splitlines():
        if match := PIN.match(line):
            found[canonicalize_name(match[1])] = match[3]
    return found


def downloaded() -> Path:
    """The folder of wheels for this requirements.txt, downloaded once."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + " ".join(PLATFORMS).encode()).hexdigest()
    folder = ROOT / ".local" / "wheels-aarch64" / key[:16]
    if (folder / DONE).is_file():
        return folder
    partial = folder.with_name(f"{folder.name}.{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    platform_args = [arg for name in PLATFORMS for arg in ("--platform", name)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            *platform_args,
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--abi",
            "cp311",
            "--abi",
            "abi3",
            "--abi",
            "none",
            "-r",
            str(REQUIREMENTS),
            "-d",
            str(partial),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # pip's own error names the package with no matching wheel.
    assert done.returncode == 0, done.stderr[-3000:]
    (partial / DONE).write_text("\n".join(sorted(p.name for p in partial.iterdir())) + "\n")
    try:
        partial.rename(folder)
    except OSError:  # another worker got there first with the same wheels
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def test_every_package_has_a_wheel_for_graviton() -> None:
    folder = downloaded()
    files = [p.name for p in folder.iterdir() if p.name != DONE]
    assert files and all(name.endswith(".whl") for name in files), files  # no source archives
    accepted = accepted_tags()
    versions = {}
    for name in files:
        project, version, _, tags = parse_wheel_filename(name)
        assert tags & accepted, f"{name} does not install on CPython 3.11, Linux aarch64"
        versions[project] = str(version)
    for project, version in pins().items():
        assert versions.get(project) == version, f"no aarch64 wheel of {project}=={version}"
    # Not only pure-Python ones: the compiled packages are there, built for aarch64.
    compiled = {canonicalize_name(n.split("-")[0]) for n in files if "aarch64" in n}
    assert {"gevent", "greenlet", "pillow"} <= compiled


def test_the_tags_tell_an_x86_wheel_from_an_arm_one() -> None:
    accepted = accepted_tags()
    arm = "pillow-13.0.0-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl"
    x86 = "pillow-13.0.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
    newer_glibc = "x-1.0-cp311-cp311-manylinux_2_39_aarch64.whl"  # needs more than AL2023 has
    other_python = "x-1.0-cp312-cp312-manylinux_2_28_aarch64.whl"
    assert parse_wheel_filename(arm)[3] & accepted
    assert parse_wheel_filename("six-1.17.0-py2.py3-none-any.whl")[3] & accepted
    for name in (x86, newer_glibc, other_python):
        assert not parse_wheel_filename(name)[3] & accepted, name
