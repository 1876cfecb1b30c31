"""The real DynamoDB Local, from the npm package amplify-dynamodb-simulator (its emulator/)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from . import processes

PACKAGE = "amplify-dynamodb-simulator@2.9.30"
JAR_SHA256 = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"
ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".local" / "dynamodb"


def install(home: Path = HOME) -> Path:
    """Fetch the emulator folder into `home` once, check the jar's sha256, return the jar."""
    jar = home / "DynamoDBLocal.jar"
    if jar.exists() and _sha256(jar) == JAR_SHA256:
        return jar
    if shutil.which("npm") is None:
        raise RuntimeError(
            "npm is needed to fetch DynamoDB Local (package amplify-dynamodb-simulator)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/emulator/")]
            tar.extractall(tmp, members=members, filter="data")
        if home.exists():
            shutil.rmtree(home)
        home.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(Path(tmp) / "package" / "emulator"), home)
    if _sha256(jar) != JAR_SHA256:
        shutil.rmtree(home)
        raise RuntimeError(f"DynamoDB Local jar from {PACKAGE} has an unexpected sha256")
    return jar


def java_available() -> bool:
    return shutil.which("java") is not None


def start(port: int, db_path: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start DynamoDB Local on 127.0.0.1:`port`, keeping its data in `db_path`."""
    jar = install()
    db_path.mkdir(parents=True, exist_ok=True)
    proc = processes.start(
        [
            "java",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-sharedDb",
            "-dbPath",
            str(db_path),
            "-port",
            str(port),
            "-disableTelemetry",
        ],
        log=log,
        cwd=jar.parent,
    )
    processes.wait_for_port(port, proc)
    return proc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
