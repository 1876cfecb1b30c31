"""The zip itself: the allow-list of files, and entries written so the same inputs give the same
bytes (sorted, fixed timestamps and permissions), so its sha256 names a release."""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_NAME, ROOT, BundleError

# What the app needs, and nothing else. Folders are walked; junk inside them is skipped.
FILES = ("application.py", "requirements.txt", "Procfile")
FOLDERS = ("tictactoe", ".ebextensions", ".platform")
SKIP_DIRS = {
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".git",
    ".idea",
    ".vscode",
    "node_modules",
}
SKIP_FILES = re.compile(r"(\.py[cod]|~|\.sw[a-p]|\.orig|\.rej|\.bak|\.tmp)$|^(\.#|#)|^\.DS_Store$")

# Elastic Beanstalk refuses source bundles over 500 MB.
MAX_BYTES = 500 * 1000 * 1000
# A zip's fixed timestamp (the earliest a zip can hold) and Unix permissions.
EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644

# Where the zip goes without --output, relative to the repository; .elasticbeanstalk/config.yml
# names it as the EB CLI's deploy artifact and the deploy workflow uploads it.
DEFAULT_OUTPUT = Path("dist") / "tictactoe.zip"


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str
    size: int
    names: list[str]
    generated_secret: bool


def sources(root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    """Yield (name in the zip, file on disk) for every allowed file, sorted by name."""
    found: dict[str, Path] = {}
    for name in FILES:
        path = root / name
        if not path.is_file():
            raise BundleError(f"missing {name}: the bundle needs it")
        found[name] = path
    for folder in FOLDERS:
        base = root / folder
        if not base.is_dir():
            raise BundleError(f"missing {folder}/: the bundle needs it")
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for filename in filenames:
                if SKIP_FILES.search(filename):
                    continue
                path = Path(dirpath) / filename
                found[path.relative_to(root).as_posix()] = path
    yield from sorted(found.items())


def build(
    output: Path,
    config_text: str,
    generated_secret: bool = False,
    root: Path = ROOT,
    extra: dict[str, str] | None = None,
) -> Bundle:
    """Write the zip: sorted entries, fixed timestamps and permissions, files at the root.

    `extra` maps more names in the zip (generated files, such as the HTTPS listener) to text.
    """
    entries = [(name, path.read_bytes()) for name, path in sources(root)]
    entries.append((CONFIG_NAME, config_text.encode("utf-8")))
    for name, text in (extra or {}).items():
        if name in dict(entries):
            raise BundleError(f"{name} exists in the sources; the bundle would hold it twice")
        entries.append((name, text.encode("utf-8")))
    data = _zipped(sorted(entries))
    if len(data) > MAX_BYTES:
        raise BundleError(
            f"the zip would be {len(data):,} bytes; Elastic Beanstalk accepts at most "
            f"{MAX_BYTES:,}. Something large crept into {', '.join(FOLDERS)}"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    names = [name for name, _ in sorted(entries)]
    return Bundle(output, hashlib.sha256(data).hexdigest(), len(data), names, generated_secret)


def _zipped(entries: list[tuple[str, bytes]]) -> bytes:
    """Return the zip of `entries`, in their order, each with the same date and permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3  # Unix, so the permissions below mean what they say
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
    return buffer.getvalue()
