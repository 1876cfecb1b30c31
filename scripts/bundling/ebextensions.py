"""The .ebextensions files a build generates into the zip, beside the repository's own: which
ones each environment gets. Each file's text is its own module's."""

from __future__ import annotations

import argparse

from . import account, balancer, https, waf
from .config import BundleError
from .network import Network


def check_certificate(args: argparse.Namespace, region: str) -> None:
    """Refuse --certificate-arn's certificate before any account step: wrong form or region."""
    if not args.certificate_arn:
        return
    try:
        https.check_certificate(args.certificate_arn, region)
    except https.CertificateError as err:
        raise BundleError(str(err)) from err


def generated(args: argparse.Namespace, network: Network | None) -> dict[str, str]:
    """Return the generated files by name in the zip, for the environment `args` describe."""
    load_balanced = args.environment_type != "SingleInstance"
    # The load balancer's attributes, or a single instance's deployment policy.
    files = balancer.files(load_balanced)
    if args.certificate_arn:
        files[https.CONFIG_NAME] = https.listener_config(args.certificate_arn)
    if network is not None or args.alarm_email:
        files[account.CONFIG_NAME] = account.account_config(
            network, args.alarm_email, load_balanced
        )
    if args.waf:
        files[waf.CONFIG_NAME] = waf.config_text()
    return files
