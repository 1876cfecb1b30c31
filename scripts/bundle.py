"""Build the Elastic Beanstalk source bundle and print how to launch it.

    python scripts/bundle.py --bucket my-bucket
    python scripts/bundle.py --upload s3://my-bucket/tictactoe/app.zip

The zip holds only what the app needs, at its root: application.py, tictactoe/,
requirements.txt, Procfile, .ebextensions/, .platform/ (the nginx upload limit) and the
config (as beanstalk.toml, which CONFIG_FILE names). The same sources and secret give the
same bytes, so the sha256 names a release.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import io
import ipaddress
import os
import re
import secrets
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _app_config() -> ModuleType:
    """Return the app's own config loader, tictactoe/config.py.

    Importing it through the package needs Flask (tictactoe/__init__.py imports it), so
    without the app's requirements the module is loaded on its own: it uses only the
    standard library, and a plain Python 3.11 can build the bundle.
    """
    if str(ROOT) not in sys.path:  # run as `python scripts/bundle.py` from anywhere
        sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("tictactoe.config")
    except ImportError:
        spec = importlib.util.spec_from_file_location(
            "tictactoe_config", ROOT / "tictactoe" / "config.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module


_config = _app_config()
SECRET_ENV: str = _config.SECRET_ENV
ConfigError: type[Exception] = _config.ConfigError
Settings = _config.Settings
parse = _config.parse

# What the app needs, and nothing else. Folders are walked; junk inside them is skipped.
FILES = ("application.py", "requirements.txt", "Procfile")
FOLDERS = ("tictactoe", ".ebextensions", ".platform")
CONFIG_NAME = "beanstalk.toml"  # the name .ebextensions gives CONFIG_FILE
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git", ".idea",
             ".vscode", "node_modules"}  # fmt: skip
SKIP_FILES = re.compile(r"(\.py[cod]|~|\.sw[a-p]|\.orig|\.rej|\.bak|\.tmp)$|^(\.#|#)|^\.DS_Store$")

# Elastic Beanstalk refuses source bundles over 500 MB.
MAX_BYTES = 500 * 1000 * 1000
# A zip's fixed timestamp (the earliest a zip can hold) and Unix permissions.
EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644

PLATFORM = "Python 3.11 running on 64bit Amazon Linux 2023"
CONSOLE = "https://console.aws.amazon.com/elasticbeanstalk/home"


class BundleError(Exception):
    """The bundle cannot be built; the message says why."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str
    size: int
    names: list[str]
    generated_secret: bool


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        bucket, key = _target(args)
        secret = _secret_from_env() if args.secret_from_env else None
        config_text, settings, generated = bundled_config(args.config, secret)
        output = args.output or ROOT / "dist" / "tictactoe.zip"
        bundle = build(output, config_text, generated)
        if args.upload:
            upload(bundle.path, bucket, key, settings.region)
    except (BundleError, ConfigError) as err:
        print(f"bundle.py: error: {err}", file=sys.stderr)
        return 2
    _report(args, bundle, settings, bucket, key)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python scripts/bundle.py",
        description="Build the Elastic Beanstalk source bundle (zip) and print its Launch Now "
        "URL. Validates the config with the app's own loader first.",
    )
    parser.add_argument("--config", type=Path, default=ROOT / CONFIG_NAME,
                        help="settings to bundle, stored in the zip as beanstalk.toml "
                        "(default: %(default)s)")  # fmt: skip
    parser.add_argument("--output", type=Path,
                        help="where to write the zip (default: dist/tictactoe.zip)")  # fmt: skip
    parser.add_argument("--secret-from-env", action="store_true",
                        help=f"take [flask].secret_key from {SECRET_ENV} instead of generating "
                        "one (the same secret and sources give a byte-identical zip)")  # fmt: skip
    where = parser.add_argument_group("where the bundle goes (for the Launch Now URL)")
    where.add_argument("--bucket", help="S3 bucket you upload the zip to (same region)")
    where.add_argument("--key", help="S3 key of the zip (default: tictactoe/<sha256[:16]>.zip)")
    where.add_argument("--upload", metavar="s3://BUCKET/KEY",
                       help="upload the zip there with boto3 (your AWS credentials)")  # fmt: skip
    launch = parser.add_argument_group("the environment the Launch Now URL creates")
    launch.add_argument("--application-name", default="tictactoe",
                        help="Elastic Beanstalk application (default: %(default)s)")  # fmt: skip
    launch.add_argument("--platform", default=PLATFORM,
                        help="platform branch (default: %(default)s)")  # fmt: skip
    launch.add_argument("--environment-type", choices=["LoadBalancing", "SingleInstance"],
                        default="LoadBalancing",
                        help="LoadBalancing (default; health checks on /health) or "
                        "SingleInstance (cheaper, no load balancer)")  # fmt: skip
    launch.add_argument("--instance-type", default="t3.micro",
                        help="EC2 instance type (default: %(default)s)")  # fmt: skip
    return parser


def _target(args: argparse.Namespace) -> tuple[str | None, str | None]:
    if args.upload:
        if args.bucket or args.key:
            raise BundleError("give either --upload s3://bucket/key or --bucket/--key, not both")
        parts = urlsplit(args.upload)
        key = parts.path.lstrip("/")
        if parts.scheme != "s3" or not parts.netloc or not key or key.endswith("/"):
            raise BundleError(f"--upload wants s3://bucket/key.zip, got {args.upload!r}")
        return parts.netloc, key
    if args.key and not args.bucket:
        raise BundleError("--key needs --bucket")
    return args.bucket, args.key


def _secret_from_env() -> str:
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        raise BundleError(f"--secret-from-env: the environment variable {SECRET_ENV} is not set")
    if len(secret) < 32:
        raise BundleError(f"{SECRET_ENV} is too short for a session key: use 32+ characters")
    if any(not c.isprintable() for c in secret):
        raise BundleError(f"{SECRET_ENV} holds control characters")
    return secret


def bundled_config(path: Path, secret: str | None = None) -> tuple[str, Settings, bool]:
    """Return the config text to bundle (with a secret key), its Settings, and if one was made.

    The file on disk is never changed: the key goes into the returned copy only.
    """
    settings = parse(path)  # the app's own loader: same rules, same messages
    text = path.read_text(encoding="utf-8")
    for name, url in (("[dynamodb].endpoint", settings.endpoint),
                      ("[s3].endpoint", settings.s3_endpoint)):  # fmt: skip
        if url and _is_loopback(url):
            raise BundleError(
                f"{path}: {name} is {url}, a loopback address; on Elastic Beanstalk that is the "
                "instance itself. Bundle a production config such as beanstalk.toml"
            )
    generated = False
    if settings.secret_key:
        if secret is not None:
            raise BundleError(
                f"{path} already has [flask].secret_key; remove it or drop --secret-from-env"
            )
    else:
        generated = secret is None
        text = with_secret_key(text, secret or secrets.token_urlsafe(48))
        settings = _parse_text(text, path)
    return text, settings, generated


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_secret_key(text: str, secret: str) -> str:
    """Return the TOML `text` with [flask].secret_key set (it must not be set already)."""
    line = 'secret_key = "' + secret.replace("\\", "\\\\").replace('"', '\\"') + '"'
    header = re.search(r"^[ \t]*\[flask\][ \t]*(#.*)?$", text, flags=re.MULTILINE)
    if header:
        return text[: header.end()] + "\n" + line + text[header.end() :]
    return text.rstrip("\n") + "\n\n[flask]\n" + line + "\n"


def _parse_text(text: str, origin: Path) -> Settings:
    """Validate the text that goes into the bundle with the app's loader."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / CONFIG_NAME
        copy.write_text(text, encoding="utf-8")
        try:
            return parse(copy)
        except ConfigError as err:
            raise BundleError(f"{origin}: the bundled copy is invalid: {err}") from err


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
    output: Path, config_text: str, generated_secret: bool = False, root: Path = ROOT
) -> Bundle:
    """Write the zip: sorted entries, fixed timestamps and permissions, files at the root."""
    buffer = io.BytesIO()
    names = []
    entries = [(name, path.read_bytes()) for name, path in sources(root)]
    entries.append((CONFIG_NAME, config_text.encode("utf-8")))
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3  # Unix, so the permissions below mean what they say
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
            names.append(name)
    data = buffer.getvalue()
    if len(data) > MAX_BYTES:
        raise BundleError(
            f"the zip would be {len(data):,} bytes; Elastic Beanstalk accepts at most "
            f"{MAX_BYTES:,}. Something large crept into {', '.join(FOLDERS)}"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return Bundle(output, hashlib.sha256(data).hexdigest(), len(data), names, generated_secret)


def upload(path: Path, bucket: str | None, key: str | None, region: str) -> None:
    """Upload the zip to s3://bucket/key; the bucket must be in the environment's region."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = boto3.client("s3", region_name=region)
    try:
        where = s3.head_bucket(Bucket=bucket).get("BucketRegion") or region
        if where != region:
            raise BundleError(
                f"bucket {bucket} is in {where}, the environment in {region}: Elastic "
                "Beanstalk reads source bundles from the same region only"
            )
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": "application/zip"})
    except (BotoCoreError, ClientError) as err:
        raise BundleError(f"upload to s3://{bucket}/{key} failed: {err}") from err


def launch_now_url(
    region: str,
    bucket: str,
    key: str,
    application: str = "tictactoe",
    platform: str = PLATFORM,
    environment_type: str = "LoadBalancing",
    instance_type: str = "t3.micro",
) -> str:
    """Return the console's new-application URL with everything filled in."""
    params = {
        "applicationName": application,
        "platform": platform,
        "sourceBundleUrl": f"https://{bucket}.s3.{region}.amazonaws.com/{quote(key)}",
        "environmentType": environment_type,
        "tierName": "WebServer",
        "instanceType": instance_type,
    }
    query = urlencode(params, quote_via=quote, safe="")
    return f"{CONSOLE}?region={region}#/newApplication?{query}"


def _report(
    args: argparse.Namespace, bundle: Bundle, settings: Settings, bucket: str | None,
    key: str | None,
) -> None:  # fmt: skip
    key = key or f"tictactoe/{bundle.sha256[:16]}.zip"
    print(f"bundle:  {bundle.path}")
    print(f"sha256:  {bundle.sha256}")
    print(f"size:    {bundle.size:,} bytes ({len(bundle.names)} files)")
    if bundle.generated_secret:
        print("secret:  generated a new [flask].secret_key into the bundled beanstalk.toml only "
              "(the repository file is unchanged); every deploy of a new bundle signs players "
              "out. Use --secret-from-env to keep one key across releases.")  # fmt: skip
    if settings.bucket.endswith("change-me"):
        print(f"warning: [s3].bucket is still the placeholder {settings.bucket!r}: S3 bucket "
              "names are global, choose your own in the config and in iam/policy.json",
              file=sys.stderr)  # fmt: skip
    if args.upload:
        print(f"upload:  s3://{bucket}/{key}")
    elif bucket:
        print(f"next:    aws s3 cp {bundle.path} s3://{bucket}/{key} --region {settings.region}")
    else:
        print("next:    give --bucket (and --key) or --upload s3://bucket/key for the URL")
        return
    url = launch_now_url(settings.region, bucket, key, args.application_name, args.platform,
                         args.environment_type, args.instance_type)  # fmt: skip
    print(f"launch:  {url}")


if __name__ == "__main__":
    sys.exit(main())
