"""Create the process's boto3 clients once, from Settings."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from tictactoe.config import Settings

# Standard retries back off on throttling; short timeouts turn a dead endpoint into a quick
# "try again" instead of a hung worker.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=20,
)


def session(settings: Settings) -> boto3.session.Session:
    """Return a session; a purely local stack gets dummy credentials if none are configured."""
    base = boto3.session.Session(region_name=settings.region)
    if settings.is_local and base.get_credentials() is None:
        return boto3.session.Session(
            region_name=settings.region, aws_access_key_id="local", aws_secret_access_key="local"
        )
    return base


# The store builds every DynamoDB call's parameters itself, from checked input, and DynamoDB
# validates each request anyway: botocore walking every call's parameters against the model
# first costs CPU on every request and catches nothing the tests do not (it would turn a
# store bug into a 503, where DynamoDB's own refusal is a 500 naming the fault).
_DYNAMODB = _CONFIG.merge(Config(parameter_validation=False))


def dynamodb(settings: Settings, aws: boto3.session.Session) -> Any:
    """Return a DynamoDB client for the configured region and endpoint."""
    return aws.client("dynamodb", endpoint_url=settings.endpoint, config=_DYNAMODB)


def s3(settings: Settings, aws: boto3.session.Session) -> Any:
    """Return an S3 client for the picture bucket's region and endpoint."""
    config = _CONFIG
    if settings.s3_endpoint:
        # A local emulator answers on one host name, so the bucket goes in the path. AWS
        # itself wants virtual-hosted style (path style is deprecated there), boto3's default.
        config = config.merge(Config(s3={"addressing_style": "path"}))
    return aws.client(
        "s3", region_name=settings.bucket_region, endpoint_url=settings.s3_endpoint, config=config
    )


def ssm(settings: Settings, aws: boto3.session.Session) -> Any:
    """Return an SSM client for the region, to read the session key's parameter at start-up."""
    return aws.client("ssm", config=_CONFIG)


def sts(settings: Settings, aws: boto3.session.Session) -> Any:
    """Return an STS client, to learn this instance's account (the picture bucket's owner).

    A purely local stack asks its S3 emulator, which answers STS too (moto's server does).
    """
    endpoint = settings.s3_endpoint if settings.is_local else None
    return aws.client("sts", region_name=settings.region, endpoint_url=endpoint, config=_CONFIG)
