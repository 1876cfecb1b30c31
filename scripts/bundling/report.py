"""What scripts/bundle.py prints once the zip is written: where it is, its secret and HTTPS,
the Launch Now URL, and after --upload what continuous deployment needs."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import quote, urlencode

from . import workflow
from .archive import Bundle
from .config import SECRET_ENV, Settings
from .network import Network

PLATFORM = "Python 3.11 running on 64bit Amazon Linux 2023"
INSTANCE_TYPE = "t4g.micro"  # Graviton (arm64); every pinned wheel has an aarch64 build
CONSOLE = "https://console.aws.amazon.com/elasticbeanstalk/home"


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


def built(
    args: argparse.Namespace,
    bundle: Bundle,
    settings: Settings,
    bucket: str | None,
    key: str | None,
) -> None:
    """Print the zip, its secret and HTTPS, and what to do with it: the Launch Now URL."""
    key = key or f"tictactoe/{bundle.sha256[:16]}.zip"
    print(f"bundle:  {bundle.path}")
    print(f"sha256:  {bundle.sha256}")
    print(f"size:    {bundle.size:,} bytes ({len(bundle.names)} files)")
    _secret(bundle, settings)
    _https(args, settings)
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


def _secret(bundle: Bundle, settings: Settings) -> None:
    """Print where the session key comes from, unless the bundle holds one it was given."""
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


def _https(args: argparse.Namespace, settings: Settings) -> None:
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


def uploaded(args: argparse.Namespace, network: Network | None, parameter: str | None) -> None:
    """Print continuous deployment's variables and the deployment policy's one-time command."""
    variables = workflow.repository_variables(args, network, parameter)
    print(
        "ci:      to deploy every push with .github/workflows/deploy.yml, set these repository "
        "variables (docs/deploy.md), so its offline builds carry the same network, key and "
        "alarm address:"
    )
    for line in workflow.variable_lines(variables):
        print(f"  {line}")
    if not parameter:
        print("  gh secret set TICTACTOE_BUNDLE_KEY   # the key --secret-from-env read")
    print(
        "next:    after the environment exists, run once (with your credentials) so the "
        "bundle's rolling deployment policy replaces the console's (docs/operations.md, "
        f"Deploys): {workflow.deployment_policy_command(args.application_name)}"
    )
