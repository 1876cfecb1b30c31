"""scripts/bundle.py's command line: its flags, and which of them go together."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from . import account, network
from .config import CONFIG_NAME, ROOT, SECRET_ENV, BundleError, parse
from .report import INSTANCE_TYPE, PLATFORM


def parser() -> argparse.ArgumentParser:
    """Return the parser of every flag, grouped as --help shows them."""
    parser = argparse.ArgumentParser(
        prog="python scripts/bundle.py",
        description="Build the Elastic Beanstalk source bundle (zip) and print its Launch Now "
        "URL. Validates the config with the app's own loader first.",
    )
    _bundle_flags(parser)
    where = parser.add_argument_group("where the bundle goes (for the Launch Now URL)")
    where.add_argument("--bucket", help="S3 bucket you upload the zip to (same region)")
    where.add_argument("--key", help="S3 key of the zip (default: tictactoe/<sha256[:16]>.zip)")
    where.add_argument(
        "--upload",
        metavar="s3://BUCKET/KEY",
        help="upload the zip there with boto3 (your AWS credentials)",
    )
    _launch_flags(parser.add_argument_group("the environment the Launch Now URL creates"))
    _account_flags(parser.add_argument_group("the account steps of --upload (each done only once)"))
    return parser


def _bundle_flags(parser: argparse.ArgumentParser) -> None:
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


def _launch_flags(launch: argparse._ArgumentGroup) -> None:
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
        help="add an AWS WAF web ACL to the load balancer (scripts/bundling/waf.py; off by "
        "default)",
    )
    launch.add_argument(
        "--public-origin",
        metavar="URL",
        help="the address players use, such as https://game.example.com: bundled as "
        "[flask].public_origin (links are built from it, other hosts refused); https:// with "
        "--certificate-arn",
    )


def _account_flags(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--role",
        default=account.ROLE,
        help="instance role and instance profile to create when missing, "
        "with iam/policy.json (default: %(default)s)",
    )
    group.add_argument(
        "--secret-parameter",
        metavar="NAME",
        help="SSM SecureString holding the session key, created when "
        "missing, never overwritten (default: "
        "/tictactoe/<application-name>/secret-key)",
    )
    group.add_argument("--vpc", help="VPC to launch in (default: the region's default VPC)")
    group.add_argument(
        "--subnets",
        metavar="A,B",
        help="its subnets, in two Availability Zones or more (default: the "
        "default VPC's default subnets)",
    )
    group.add_argument(
        "--public-ip",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="offline only, with --vpc and --subnets: whether those subnets are public, so the "
        "instances get public addresses (--upload finds that out itself and prints it)",
    )


def target(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """Return the bucket and key the zip goes to, from --upload or --bucket and --key."""
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


def check(args: argparse.Namespace) -> None:
    """Refuse flags that contradict each other, naming which and why."""
    if args.no_secret and args.secret_from_env is not None:
        raise BundleError("give --no-secret or --secret-from-env, not both")
    _check_load_balancer(args)
    if not args.upload and args.role != account.ROLE:
        raise BundleError("--role is an account step: it needs --upload")
    _check_network(args)
    account.check_names(args.role, args.secret_parameter)
    if args.alarm_email is not None:
        account.check_email(args.alarm_email)


def _check_load_balancer(args: argparse.Namespace) -> None:
    """Refuse the flags that need a load balancer in an environment without one."""
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


def _check_network(args: argparse.Namespace) -> None:
    """Refuse a network named in part offline, or --public-ip where --upload finds it out."""
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


def key_parameter(args: argparse.Namespace) -> str | None:
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
    named: str | None = parse(args.config).secret_key_parameter
    return given or named or account.default_parameter(args.application_name)


def offline_network(args: argparse.Namespace) -> network.Network | None:
    """Return the network an offline build names with --vpc and --subnets, or None."""
    if args.upload or args.vpc is None:
        return None
    try:
        return network.given(args.vpc, network.subnet_ids(args.subnets), args.public_ip)
    except network.NetworkError as err:
        raise BundleError(str(err)) from err
