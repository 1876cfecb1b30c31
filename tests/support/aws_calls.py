"""Record every AWS operation a piece of code performs, and what IAM must allow for each.

Every botocore client created while `recording()` is active gets a `before-parameter-build`
handler (the event fires for each API call and for each presigned URL), so calls are seen
however the app builds its sessions and clients.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import botocore.session

from tests.support import ROOT

ACCOUNT = "123456789012"  # moto's account
# Code that only an operator runs, from their own machine with their own credentials
# (export and import): its calls are proven against iam/operator-policy.json by
# tests/deploy/test_operator_policy.py, not against the instance role's policy.
OPERATOR_ONLY = frozenset(
    {
        "tictactoe/services/archive.py",
        "tictactoe/store/archive.py",
        "tictactoe/adapters/archive_bucket.py",
    }
)
# Methods boto3 adds to the S3 client, and the operation each performs.
S3_HELPERS = {
    "upload_file": "PutObject",
    "upload_fileobj": "PutObject",
    "download_file": "GetObject",
    "download_fileobj": "GetObject",
    "copy": "CopyObject",
}

# S3 operations whose IAM action differs from the operation's name, and those on objects.
S3_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "DeleteObjects": "s3:DeleteObject",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "PutBucketCors": "s3:PutBucketCORS",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
}
S3_SAME_NAME = {
    "CreateBucket",
    "PutObject",
    "GetObject",
    "DeleteObject",
    "GetBucketLocation",
    "PutBucketPolicy",
    "PutBucketOwnershipControls",
}
S3_ON_OBJECTS = {
    "PutObject",
    "GetObject",
    "HeadObject",
    "DeleteObject",
    "DeleteObjects",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
}
DYNAMODB_PER_TABLE = {
    "CreateTable",
    "DescribeTable",
    "DeleteTable",
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "UpdateTable",
    "DescribeTimeToLive",
    "UpdateTimeToLive",
    "DescribeContinuousBackups",
    "UpdateContinuousBackups",
}
DYNAMODB_BATCH = {"BatchGetItem", "BatchWriteItem"}
# A transaction needs, per item, the permission of the single-item action it performs.
DYNAMODB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@dataclass(frozen=True)
class Call:
    service: str  # "dynamodb", "s3"
    operation: str  # "PutItem"
    region: str
    params: dict[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Need:
    """One IAM permission a call needs: an action on a resource ARN."""

    action: str
    resource: str
    operation: str  # the call that needed it, for messages


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def record(self, region: str, params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        self.calls.append(Call(service, model.name, region, dict(params)))

    @property
    def operations(self) -> set[tuple[str, str]]:
        return {(c.service, c.operation) for c in self.calls}


@contextmanager
def recording() -> Iterator[Recorder]:
    """Record the calls of every botocore client created inside the block."""
    recorder = Recorder()
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        handler = partial(recorder.record, client.meta.region_name)
        client.meta.events.register("before-parameter-build", handler)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


def calls_in(paths: Iterable[Path]) -> dict[str, str]:
    """Return each AWS operation that client method calls in `paths` perform, and where one is
    (found with `ast`: any call of a method name that a client of ours has)."""
    methods = S3_HELPERS.copy()
    for service in ("dynamodb", "s3", "ssm", "sts"):
        methods |= boto3.client(service, region_name="us-west-2").meta.method_to_api_mapping
    called: dict[str, str] = {}
    for path in sorted(paths):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in methods
            ):
                called[methods[node.func.attr]] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return called


def app_code() -> list[Path]:
    """Return the app's modules: what the instance role runs."""
    files = (ROOT / "tictactoe").rglob("*.py")
    return [p for p in files if p.relative_to(ROOT).as_posix() not in OPERATOR_ONLY]


def needs(call: Call) -> list[Need]:
    """Return the IAM permissions `call` needs; fail loudly on an operation not mapped yet."""
    if call.service == "dynamodb":
        return _dynamodb(call)
    if call.service == "s3":
        return _s3(call)
    if call.service == "ssm" and call.operation == "GetParameter":
        name = call.params["Name"].lstrip("/")
        arn = f"arn:aws:ssm:{call.region}:{ACCOUNT}:parameter/{name}"
        return [Need("ssm:GetParameter", arn, call.operation)]
    if call.service == "sts" and call.operation == "GetCallerIdentity":
        return []  # needs no permission: any identity may ask who it is
    raise AssertionError(f"{call.service}:{call.operation}: map this service in aws_calls.py")


def _table_arn(region: str, table: str) -> str:
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}"


def _dynamodb(call: Call) -> list[Need]:
    action, p = f"dynamodb:{call.operation}", call.params
    if call.operation in DYNAMODB_PER_TABLE:
        arn = _table_arn(call.region, p["TableName"])
        if p.get("IndexName"):
            arn += f"/index/{p['IndexName']}"
        return [Need(action, arn, call.operation)]
    if call.operation in DYNAMODB_BATCH:
        return [Need(action, _table_arn(call.region, t), call.operation) for t in p["RequestItems"]]
    if call.operation == "TransactWriteItems":
        return [
            Need(
                f"dynamodb:{DYNAMODB_TRANSACT[kind]}",
                _table_arn(call.region, action["TableName"]),
                call.operation,
            )
            for item in p["TransactItems"]
            for kind, action in item.items()
        ]
    raise AssertionError(f"dynamodb:{call.operation}: map this operation in aws_calls.py")


def _s3(call: Call) -> list[Need]:
    op, p = call.operation, call.params
    if op in S3_ACTIONS:
        action = S3_ACTIONS[op]
    elif op in S3_SAME_NAME:
        action = f"s3:{op}"
    else:
        raise AssertionError(f"s3:{op}: map this operation to its IAM action in aws_calls.py")
    bucket = f"arn:aws:s3:::{p['Bucket']}"
    if op == "DeleteObjects":
        return [Need(action, f"{bucket}/{o['Key']}", op) for o in p["Delete"]["Objects"]]
    if op in S3_ON_OBJECTS:
        return [Need(action, f"{bucket}/{p['Key']}", op)]
    return [Need(action, bucket, op)]
