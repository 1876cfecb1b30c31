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
.ebextensions/02-https.config (scripts/bundling/https.py) and the config turns on force_https;
with --no-secret it holds no session key at all (the environment provides it).

With --upload the script first does every account-level step, each one idempotent
(scripts/bundling/account.py): the instance role and profile, the session key as an SSM
SecureString that the bundled config names (never overwritten), and the VPC and subnets
(scripts/bundling/network.py) with --alarm-email in the generated .ebextensions/90-account.config.
--waf adds the AWS WAF web ACL of scripts/bundling/waf.py (off by default: it is billed monthly).
--public-origin writes [flask].public_origin, the address players use, into the bundled config.
An --upload run ends by printing the repository variables that let the deploy workflow build
the same bundle offline (scripts/bundling/workflow.py): --vpc and --subnets with --public-ip or
--no-public-ip, --secret-parameter, --alarm-email and the rest, which an offline build takes too.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

# The parts live in scripts/bundling/, beside this file: importable however the script was
# started (`python scripts/bundle.py` from anywhere, `python -S`) or loaded by path.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bundling import account, archive, config, ebextensions, options, report, upload  # noqa: E402
from bundling.network import Network, describe  # noqa: E402


@dataclass(frozen=True)
class Release:
    """What one run built: the zip, its settings, and where it goes."""

    bundle: archive.Bundle
    settings: config.Settings
    network: Network | None
    parameter: str | None  # the SSM parameter holding the session key, if any
    bucket: str | None
    key: str | None


def main(argv: list[str] | None = None) -> int:
    """Build the bundle as the command line asks; print what was done and what comes next."""
    args = options.parser().parse_args(argv)
    try:
        release = build(args)
    except (config.BundleError, config.ConfigError, account.AccountError) as err:
        print(f"bundle.py: error: {err}", file=sys.stderr)
        return 2
    if release.network is not None and not args.upload:  # --upload printed it with its steps
        print(f"network: {describe(release.network)}")
    report.built(args, release.bundle, release.settings, release.bucket, release.key)
    if args.upload:
        report.uploaded(args, release.network, release.parameter)
    return 0


def build(args: argparse.Namespace) -> Release:
    """Check the flags, do --upload's account steps, write the zip and upload it if asked."""
    bucket, key = options.target(args)
    options.check(args)
    from_env = args.secret_from_env
    secret = None if from_env is None else config.secret_from_env(from_env)
    parameter = options.key_parameter(args)
    found = options.offline_network(args)
    config_text, settings, generated = config.bundled_config(
        args.config,
        secret,
        no_secret=args.no_secret,
        force_https=bool(args.certificate_arn),
        key_parameter=parameter,
        public_origin=args.public_origin,
    )
    ebextensions.check_certificate(args, settings.region)
    output = args.output or config.ROOT / archive.DEFAULT_OUTPUT
    if args.upload:
        found = upload.account_steps(args, settings, parameter, output)
    extra = ebextensions.generated(args, found)
    bundle = archive.build(output, config_text, generated, extra=extra)
    if args.upload:
        upload.upload(bundle.path, bucket, key, settings.region)
    return Release(bundle, settings, found, parameter, bucket, key)


if __name__ == "__main__":
    sys.exit(main())
