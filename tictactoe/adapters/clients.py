"""Create the process's boto3 clients once, from Settings."""

from __future__ import annotations

import platform
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.parsers import ResponseParserFactory

from tictactoe.adapters.dynamodb_json import AsSentParsers
from tictactoe.config import Settings

# Each client's connection pool: at least as many connections as threads share the client
# (the Procfile's web process runs --threads 4; tests/adapters/test_clients.py holds it to
# that), since a call that finds the pool empty opens a connection (a TLS handshake, ~14 ms
# of CPU) and the pool throws it away afterwards. The stream process's greenlets share one
# client too, hence the margin. max_pool_connections: botocore's "Config Reference",
# https://docs.aws.amazon.com/botocore/latest/reference/config.html
POOL = 20

# Standard retries back off on throttling; short timeouts turn a dead endpoint into a quick
# "try again" instead of a hung worker. tcp_keepalive (same page) turns on TCP keep-alive
# probes, so a pooled connection that a NAT or load balancer dropped while idle is found
# dead by the OS rather than by a call timing out on it.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=POOL,
    tcp_keepalive=True,
)

# A fixed User-Agent (Config's user_agent, same page): botocore then sends this string (and
# boto3's "Botocore/<version>" after it) as it is, where otherwise it joins its cached parts
# with the features of each call (the retry mode, the credentials' source ...) on every
# call. AWS uses the header for its own statistics only.
USER_AGENT = f"tictactoe Python/{platform.python_version()}"


def session(
    settings: Settings, parsers: ResponseParserFactory | None = None
) -> boto3.session.Session:
    """Return a session; a purely local stack gets dummy credentials if none are configured.

    `parsers`: the response parser factory of the session's clients (botocore's by default).
    """
    core = botocore.session.get_session()
    if parsers is not None:
        core.register_component("response_parser_factory", parsers)
    base = boto3.session.Session(region_name=settings.region, botocore_session=core)
    if settings.is_local and base.get_credentials() is None:
        # On this session itself: a second boto3 session on `core` would hook boto3's
        # additions to its clients twice, and botocore refuses to build an S3 client then.
        core.set_credentials("local", "local")
    return base


# The store builds every DynamoDB call's parameters itself, from checked input, and DynamoDB
# validates each request anyway: botocore walking every call's parameters against the model
# first costs CPU on every request and catches nothing the tests do not (it would turn a
# store bug into a 503, where DynamoDB's own refusal is a 500 naming the fault).
_DYNAMODB = _CONFIG.merge(Config(parameter_validation=False, user_agent=USER_AGENT))


def dynamodb(settings: Settings, parsers: ResponseParserFactory | None = None) -> Any:
    """Return a DynamoDB client for the configured region and endpoint, on a session of its
    own whose parser hands over item operations' answers as DynamoDB sent them
    (tictactoe/adapters/dynamodb_json.py). `parsers`: another parser factory, for tests.
    """
    aws = session(settings, AsSentParsers() if parsers is None else parsers)
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
