"""Build the Elastic Beanstalk source bundle and print how to launch it.

    python scripts/bundle.py --upload s3://my-bucket/tictactoe/v1.zip --alarm-email ops@example.com
    python scripts/bundle.py --bucket my-bucket                  # offline: build only
    python scripts/bundle.py --certificate-arn arn:aws:acm:... --no-secret --bucket my-bucket
    python scripts/bundle.py --secret-from-env CI_SESSION_KEY    # the key from a CI secret
    python scripts/bundle.py --secret-parameter /tictactoe/tictactoe/secret-key \
        --vpc vpc-0abc1234 --subnets subnet-0a,subnet-0b --public-ip   # offline, as CI builds

The zip holds only what the app needs, at its root: application.py, tictactoe/,
requirements.txt, Procfile, .ebextensions/, .platform/ (the nginx upload limit) and the
config (as beanstalk.toml, which CONFIG_FILE names). The same sources and secret give the
same bytes, so the sha256 names a release. With --certificate-arn the zip also holds
.ebextensions/02-https.config (scripts/bundle_https.py) and the config turns on force_https;
with --no-secret it holds no session key at all (the environment provides it).

With --upload the script first does every account-level step, each one idempotent
(scripts/bundle_account.py): the instance role and profile, the session key as an SSM
SecureString that the bundled config names (never overwritten), and the VPC and subnets
(scripts/bundle_network.py) with --alarm-email in the generated .ebextensions/90-account.config.
--waf adds the AWS WAF web ACL of scripts/bundle_waf.py (off by default: it is billed monthly).
--public-origin writes [flask].public_origin, the address players use, into the bundled config.
An --upload run ends by printing the repository variables that let the deploy workflow build
the same bundle offline (scripts/bundle_workflow.py): --vpc and --subnets with --public-ip or
--no-public-ip, --secret-parameter, --alarm-email and the rest, which an offline build takes too.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import io
import os
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _sibling(name: str) -> ModuleType:
    """Load scripts/<name>.py, which works however this script was started or imported."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_settings = _sibling("bundle_config")  # the config that goes into the zip, and its key
_https = _sibling("bundle_https")  # --certificate-arn
_account = _sibling("bundle_account")  # --upload's account steps, --alarm-email
_network = _sibling("bundle_network")  # --upload: the VPC and subnets
_balancer = _sibling("bundle_balancer")  # what depends on the environment type
_workflow = _sibling("bundle_workflow")  # what --upload prints for continuous deployment
BundleError: type[Exception] = _settings.BundleError
ConfigError: type[Exception] = _settings.ConfigError
SECRET_ENV: str = _settings.SECRET_ENV
if TYPE_CHECKING:  # bundle_config's Settings is the app's own
    from tictactoe.config import Settings
else:
    Settings = _settings.Settings
CONFIG_NAME: str = _settings.CONFIG_NAME
bundled_config = _settings.bundled_config

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

PLATFORM = "Python 3.11 running on 64bit Amazon Linux 2023"
INSTANCE_TYPE = "t4g.micro"  # Graviton (arm64); every pinned wheel has an aarch64 build
CONSOLE = "https://console.aws.amazon.com/elasticbeanstalk/home"


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
        _check_options(args)
        from_env = args.secret_from_env
        secret = None if from_env is None else _settings.secret_from_env(from_env)
        parameter = _key_parameter(args)
        network = _offline_network(args)
        config_text, settings, generated = bundled_config(
            args.config,
            secret,
            no_secret=args.no_secret,
            force_https=bool(args.certificate_arn),
            key_parameter=parameter,
            public_origin=args.public_origin,
        )
        load_balanced = args.environment_type != "SingleInstance"
        # The load balancer's attributes, or a single instance's deployment policy.
        extra: dict[str, str] = _balancer.files(load_balanced)
        if args.certificate_arn:
            _certificate(args.certificate_arn, settings.region)
            extra[_https.CONFIG_NAME] = _https.listener_config(args.certificate_arn)
        output = args.output or ROOT / DEFAULT_OUTPUT
        if args.upload:
            network = _account_steps(args, settings, parameter, output)
        if network is not None or args.alarm_email:
            extra[_account.CONFIG_NAME] = _account.account_config(
                network, args.alarm_email, load_balanced
            )
        if args.waf:
            waf = _waf()
            extra[waf.CONFIG_NAME] = waf.config_text()
        bundle = build(output, config_text, generated, extra=extra)
        if args.upload:
            upload(bundle.path, bucket, key, settings.region)
    except (BundleError, ConfigError, _account.AccountError) as err:
        print(f"bundle.py: error: {err}", file=sys.stderr)
        return 2
    if network is not None and not args.upload:  # --upload printed it with the account steps
        print(f"network: {_network.describe(network)}")
    _report(args, bundle, settings, bucket, key)
    if args.upload:
        _report_next(args, network, parameter)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python scripts/bundle.py",
        description="Build the Elastic Beanstalk source bundle (zip) and print its Launch Now "
        "URL. Validates the config with the app's own loader first.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=ROOT / CONFIG_NAME,
        help="settings to bundle, stored in the zip as beanstalk.toml (default: %(default)s)",
    )
    parser.add_argument(
        "--output", type=Path, help="where to write the zip (default: dist/tictactoe.zip)"
    )
    parser.add_argument(
        "--secret-from-env",
        nargs="?",
        const=SECRET_ENV,
        metavar="NAME",
        help=f"take [flask].secret_key from the environment variable NAME "
        f"(default {SECRET_ENV}) instead of generating one, e.g. a CI secret "
        "(the same secret and sources give a byte-identical zip)",
    )
    parser.add_argument(
        "--no-secret",
        action="store_true",
        help=f"put no session key in the zip: set {SECRET_ENV} as an Elastic "
        "Beanstalk environment property instead; with --upload the key is in "
        'SSM anyway (docs/deploy.md, "Where the session key lives")',
    )
    parser.add_argument(
        "--certificate-arn",
        metavar="ARN",
        help="ACM certificate (in the config's region): adds an HTTPS "
        "listener, redirects HTTP to it, turns on force_https",
    )
    where = parser.add_argument_group("where the bundle goes (for the Launch Now URL)")
    where.add_argument("--bucket", help="S3 bucket you upload the zip to (same region)")
    where.add_argument("--key", help="S3 key of the zip (default: tictactoe/<sha256[:16]>.zip)")
    where.add_argument(
        "--upload",
        metavar="s3://BUCKET/KEY",
        help="upload the zip there with boto3 (your AWS credentials)",
    )
    launch = parser.add_argument_group("the environment the Launch Now URL creates")
    launch.add_argument(
        "--application-name",
        default="tictactoe",
        help="Elastic Beanstalk application (default: %(default)s)",
    )
    launch.add_argument(
        "--platform", default=PLATFORM, help="platform branch (default: %(default)s)"
    )
    launch.add_argument(
        "--environment-type",
        choices=["LoadBalancing", "SingleInstance"],
        default="LoadBalancing",
        help="LoadBalancing (default; health checks on /health) or "
        "SingleInstance (cheaper, no load balancer)",
    )
    launch.add_argument(
        "--instance-type",
        default=INSTANCE_TYPE,
        help="EC2 instance type (default: %(default)s, Graviton: the same work "
        "for less than t3.micro)",
    )
    launch.add_argument(
        "--alarm-email",
        metavar="ADDRESS",
        help="where the alarms send e-mail: bundled as the custom option AlarmEmail",
    )
    launch.add_argument(
        "--waf",
        action="store_true",
        help="add an AWS WAF web ACL to the load balancer (scripts/bundle_waf.py; off by default)",
    )
    launch.add_argument(
        "--public-origin",
        metavar="URL",
        help="the address players use, such as https://game.example.com: bundled as "
        "[flask].public_origin (links are built from it, other hosts refused); https:// with "
        "--certificate-arn",
    )
    account = parser.add_argument_group("the account steps of --upload (each done only once)")
    account.add_argument(
        "--role",
        default=_account.ROLE,
        help="instance role and instance profile to create when missing, "
        "with iam/policy.json (default: %(default)s)",
    )
    account.add_argument(
        "--secret-parameter",
        metavar="NAME",
        help="SSM SecureString holding the session key, created when "
        "missing, never overwritten (default: "
        "/tictactoe/<application-name>/secret-key)",
    )
    account.add_argument("--vpc", help="VPC to launch in (default: the region's default VPC)")
    account.add_argument(
        "--subnets",
        metavar="A,B",
        help="its subnets, in two Availability Zones or more (default: the "
        "default VPC's default subnets)",
    )
    account.add_argument(
        "--public-ip",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="offline only, with --vpc and --subnets: whether those subnets are public, so the "
        "instances get public addresses (--upload finds that out itself and prints it)",
    )
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


def _check_options(args: argparse.Namespace) -> None:
    if args.no_secret and args.secret_from_env is not None:
        raise BundleError("give --no-secret or --secret-from-env, not both")
    if args.certificate_arn and args.environment_type == "SingleInstance":
        raise BundleError(
            "--certificate-arn needs a load balancer: a SingleInstance environment has none to "
            "hold the certificate. Use LoadBalancing (the default)"
        )
    if args.waf and args.environment_type == "SingleInstance":
        raise BundleError(
            "--waf guards the load balancer, and a SingleInstance environment has "
            "none. Use LoadBalancing (the default)"
        )
    if not args.upload and args.role != _account.ROLE:
        raise BundleError("--role is an account step: it needs --upload")
    if args.upload and args.public_ip is not None:
        raise BundleError(
            "--public-ip and --no-public-ip are for offline builds: --upload reads whether the "
            "subnets are public from the account"
        )
    named = (args.vpc is not None, args.subnets is not None, args.public_ip is not None)
    if not args.upload and any(named) and not all(named):
        raise BundleError(
            "offline, --vpc, --subnets and --public-ip or --no-public-ip go together (as --upload "
            "printed them): a bundle that names part of a network would move the environment. "
            "Or let --upload find the network"
        )
    _account.check_names(args.role, args.secret_parameter)
    if args.alarm_email is not None:
        _account.check_email(args.alarm_email)


def _key_parameter(args: argparse.Namespace) -> str | None:
    """Return the SSM parameter the bundle reads its session key from, or None for none.

    Offline, only one named with --secret-parameter (the build behaves as before). With
    --upload, unless --secret-from-env puts the key in the zip: the one named by the flag or
    the config, or the application's default.
    """
    given: str | None = args.secret_parameter
    if args.secret_from_env is not None:
        if given:
            raise BundleError("give --secret-parameter or --secret-from-env, not both")
        return None
    if not args.upload:
        return given
    named: str | None = _settings.parse(args.config).secret_key_parameter
    return given or named or _account.default_parameter(args.application_name)


def _offline_network(args: argparse.Namespace) -> Any:
    """Return the network an offline build names with --vpc and --subnets, or None."""
    if args.upload or args.vpc is None:
        return None
    try:
        return _network.given(args.vpc, _network.subnet_ids(args.subnets), args.public_ip)
    except _network.NetworkError as err:
        raise BundleError(str(err)) from err


def _account_steps(
    args: argparse.Namespace, settings: Settings, parameter: str | None, output: Path
) -> Any:
    """Do --upload's account steps, printing a line each; return the network found."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        subnets = _network.subnet_ids(args.subnets) if args.subnets else ()
        aws = boto3.session.Session(region_name=settings.region)
        account = aws.client("sts").get_caller_identity()["Account"]
        network = _network.find(aws.client("ec2"), args.vpc, subnets)
        print(f"network: {_network.describe(network)}")
        key = parameter or _account.default_parameter(args.application_name)
        policy = _account.instance_policy(account, settings.region, key)
        iam = aws.client("iam")
        copy = output.with_name(f"{args.role}-policy.json")
        print(*_account.ensure_role(iam, args.role, policy, copy), sep="\n")
        print(_account.ensure_instance_profile(iam, args.role))
        if parameter:
            print(_account.ensure_session_key(aws.client("ssm"), parameter))
    except (BotoCoreError, ClientError) as err:
        raise BundleError(f"an account step failed: {err}") from err
    except _network.NetworkError as err:
        raise BundleError(str(err)) from err
    load_balanced = args.environment_type == "LoadBalancing"
    if not network.public:
        print(
            "warning: the subnets give no public addresses: the instances need a NAT to "
            "reach AWS, and "
            + (
                "the load balancer, in the same subnets, is unreachable from the internet"
                if load_balanced
                else "the instance is unreachable"
            ),
            file=sys.stderr,
        )
    return network


def _waf() -> ModuleType:
    """Load scripts/bundle_waf.py, the web ACL's generated config, only when --waf asks."""
    if not Path(__file__).with_name("bundle_waf.py").is_file():
        raise BundleError("--waf: scripts/bundle_waf.py is missing from this checkout")
    return _sibling("bundle_waf")


def _certificate(arn: str, region: str) -> None:
    try:
        _https.check_certificate(arn, region)
    except _https.CertificateError as err:
        raise BundleError(str(err)) from err


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
    buffer = io.BytesIO()
    names = []
    entries = [(name, path.read_bytes()) for name, path in sources(root)]
    entries.append((CONFIG_NAME, config_text.encode("utf-8")))
    for name, text in (extra or {}).items():
        if name in dict(entries):
            raise BundleError(f"{name} exists in the sources; the bundle would hold it twice")
        entries.append((name, text.encode("utf-8")))
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


def _report_https(args: argparse.Namespace, settings: Settings) -> None:
    if args.certificate_arn:
        print(
            f"https:   listener on 443 with {args.certificate_arn}; HTTP redirected to it "
            "(but /health); [flask].force_https on"
        )
    elif settings.force_https:
        print(
            "warning: [flask].force_https is on but this bundle adds no HTTPS listener: "
            "without one on the load balancer, every page redirects to an https:// URL that "
            "nothing answers",
            file=sys.stderr,
        )
    else:
        print(
            "warning: no --certificate-arn: the site is served over plain HTTP, so passwords "
            "and session cookies travel unencrypted. Request an ACM certificate and pass "
            "--certificate-arn ARN (docs/deploy.md, step 1: a certificate for your domain)",
            file=sys.stderr,
        )


def launch_now_url(
    region: str,
    bucket: str,
    key: str,
    application: str = "tictactoe",
    platform: str = PLATFORM,
    environment_type: str = "LoadBalancing",
    instance_type: str = INSTANCE_TYPE,
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
    args: argparse.Namespace,
    bundle: Bundle,
    settings: Settings,
    bucket: str | None,
    key: str | None,
) -> None:
    key = key or f"tictactoe/{bundle.sha256[:16]}.zip"
    print(f"bundle:  {bundle.path}")
    print(f"sha256:  {bundle.sha256}")
    print(f"size:    {bundle.size:,} bytes ({len(bundle.names)} files)")
    if bundle.generated_secret:
        print(
            "secret:  generated a new [flask].secret_key into the bundled beanstalk.toml only "
            "(the repository file is unchanged); every deploy of a new bundle signs players "
            "out. Use --secret-from-env to keep one key across releases."
        )
    elif settings.secret_key_parameter and not settings.secret_key:
        print(
            "secret:  none in the bundle; read at start-up from the SSM parameter "
            f"{settings.secret_key_parameter} (or {SECRET_ENV}, which wins)"
        )
    elif not settings.secret_key:
        print(
            f"secret:  none in the bundle; the environment property {SECRET_ENV} must hold "
            'it, or the app refuses to start (docs/deploy.md, "Where the session key '
            'lives"); --upload keeps it in SSM instead'
        )
    _report_https(args, settings)
    if settings.bucket.endswith("change-me"):
        print(
            f"warning: [s3].bucket is still the placeholder {settings.bucket!r}: S3 bucket "
            "names are global, choose your own in the config and in iam/policy.json",
            file=sys.stderr,
        )
    if args.upload:
        print(f"upload:  s3://{bucket}/{key}")
    elif bucket:
        print(f"next:    aws s3 cp {bundle.path} s3://{bucket}/{key} --region {settings.region}")
    else:
        print("next:    give --bucket (and --key) or --upload s3://bucket/key for the URL")
        return
    assert bucket is not None  # --upload's s3:// URL names it
    url = launch_now_url(
        settings.region,
        bucket,
        key,
        args.application_name,
        args.platform,
        args.environment_type,
        args.instance_type,
    )
    print(f"launch:  {url}")


def _report_next(args: argparse.Namespace, network: Any, parameter: str | None) -> None:
    """Print continuous deployment's variables and the deployment policy's one-time command."""
    variables = _workflow.repository_variables(args, network, parameter)
    print(
        "ci:      to deploy every push with .github/workflows/deploy.yml, set these repository "
        "variables (docs/deploy.md), so its offline builds carry the same network, key and "
        "alarm address:"
    )
    for line in _workflow.variable_lines(variables):
        print(f"  {line}")
    if not parameter:
        print("  gh secret set TICTACTOE_BUNDLE_KEY   # the key --secret-from-env read")
    print(
        "next:    after the environment exists, run once (with your credentials) so the "
        "bundle's rolling deployment policy replaces the console's (docs/operations.md, "
        f"Deploys): {_workflow.deployment_policy_command(args.application_name)}"
    )


if __name__ == "__main__":
    sys.exit(main())
