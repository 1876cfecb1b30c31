"""What --upload does in the account: each idempotent account step, then the upload itself.

boto3 is imported only by these functions: a plain Python still builds an offline bundle.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import account, network
from .config import BundleError, Settings


def account_steps(
    args: argparse.Namespace, settings: Settings, parameter: str | None, output: Path
) -> network.Network:
    """Do --upload's account steps, printing a line each; return the network found."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        subnets = network.subnet_ids(args.subnets) if args.subnets else ()
        aws = boto3.session.Session(region_name=settings.region)
        caller = aws.client("sts").get_caller_identity()["Account"]
        found = network.find(aws.client("ec2"), args.vpc, subnets)
        print(f"network: {network.describe(found)}")
        key = parameter or account.default_parameter(args.application_name)
        policy = account.instance_policy(caller, settings.region, key)
        iam = aws.client("iam")
        copy = output.with_name(f"{args.role}-policy.json")
        print(*account.ensure_role(iam, args.role, policy, copy), sep="\n")
        print(account.ensure_instance_profile(iam, args.role))
        if parameter:
            print(account.ensure_session_key(aws.client("ssm"), parameter))
    except (BotoCoreError, ClientError) as err:
        raise BundleError(f"an account step failed: {err}") from err
    except network.NetworkError as err:
        raise BundleError(str(err)) from err
    if not found.public:
        _warn_private(load_balanced=args.environment_type == "LoadBalancing")
    return found


def _warn_private(load_balanced: bool) -> None:
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
