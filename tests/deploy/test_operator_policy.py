"""iam/operator-policy.json is what export and import need, both ways; the instance can't scan.

Export and import run from an operator's machine with the operator's own credentials, so
their calls (tictactoe/services/archive.py and store/archive.py, OPERATOR_ONLY in
tests/support/aws_calls.py) are kept out of the instance role's policy and proven here the
way tests/deploy/test_policy.py proves that one. An export of a played stack (with pictures), and a
restore from it after the tables and bucket were lost (so both are created again), are
recorded call by call. The operator policy allows every call and grants nothing unused,
every client method in the operator-only code was seen, and every S3 call names the
bucket's owner. It runs with the names in beanstalk.toml, as test_policy.py does.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace

import boto3
import pytest
from moto import mock_aws

from tests.deploy.test_policy import allows, grants
from tests.support import ROOT
from tests.support.aws_calls import (
    ACCOUNT,
    OPERATOR_ONLY,
    Recorder,
    calls_in,
    needs,
    recording,
)
from tests.support.stacks import everything, play
from tictactoe import __main__ as cli
from tictactoe.config import Settings, parse
from tictactoe.services.backend import build

POLICY = ROOT / "iam" / "operator-policy.json"
KEY = "operator-test-key-of-32-characters"


def lose_everything(settings: Settings) -> None:
    """Delete the tables and the bucket, as a disaster would (not recorded)."""
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    for name in (settings.games_table, settings.users_table, settings.avatars_table):
        # Tables are made with deletion protection on (store/tables.py): a disaster got past it.
        dynamodb.update_table(TableName=name, DeletionProtectionEnabled=False)
        dynamodb.delete_table(TableName=name)
    s3 = boto3.client("s3", region_name=settings.region)
    for entry in s3.list_objects_v2(Bucket=settings.bucket).get("Contents", []):
        s3.delete_object(Bucket=settings.bucket, Key=entry["Key"])
    s3.delete_bucket(Bucket=settings.bucket)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    """Every AWS call of an export and of a restore from it; the same guard as conftest's."""
    home = tmp_path_factory.mktemp("operator")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
        ):
            monkeypatch.delenv(name, raising=False)
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            monkeypatch.setenv(name, str(home / "none"))
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("CONFIG_FILE", str(ROOT / "beanstalk.toml"))
        monkeypatch.delenv("TICTACTOE_SECRET_KEY", raising=False)  # export/import need none
        settings = replace(parse(ROOT / "beanstalk.toml"), secret_key=KEY)
        archive = home / "everything.jsonl.gz"
        calls = Recorder()
        with mock_aws():
            play(settings)
            before = everything(build(settings))
            with recording() as exporting:
                assert cli.main(["export", str(archive), "--pictures"]) == 0
            lose_everything(settings)
            with recording() as importing:
                assert cli.main(["import", str(archive)]) == 0
            assert everything(build(settings)) == before  # restored whole
        calls.calls = exporting.calls + importing.calls
    yield calls


def test_the_operator_policy_allows_every_call_of_export_and_import(recorded: Recorder) -> None:
    granted = grants(POLICY)
    wanted = {(n, c.operation) for c in recorded.calls for n in needs(c)}
    refused = sorted(
        (op, n.action, n.resource)
        for n, op in wanted
        if not any(allows(a, r, n) for _, a, r in granted)
    )
    assert not refused, f"iam/operator-policy.json does not allow: {refused}"


def test_the_operator_policy_grants_nothing_unused(recorded: Recorder) -> None:
    used = [n for c in recorded.calls for n in needs(c)]
    unused = sorted(g for g in grants(POLICY) if not any(allows(g[1], g[2], n) for n in used))
    assert not unused, f"iam/operator-policy.json grants what export and import never use: {unused}"


def test_every_call_in_the_operator_only_code_was_exercised(recorded: Recorder) -> None:
    called = calls_in(ROOT / path for path in OPERATOR_ONLY)
    assert {"Scan", "PutItem", "ListObjectsV2", "PutObject"} <= called.keys()
    seen = {operation for _, operation in recorded.operations}
    # Export reads each picture with the app's own bucket adapter (Objects.get), under the
    # operator's credentials: the operator's policy must allow it all the same.
    assert "GetObject" in seen
    missing = {op: where for op, where in called.items() if op not in seen}
    assert not missing, f"called in the operator-only code but never driven here: {missing}"


def test_every_s3_call_of_the_operator_names_the_bucket_owner(recorded: Recorder) -> None:
    model = boto3.client("s3", region_name="us-west-2").meta.service_model
    for call in (c for c in recorded.calls if c.service == "s3"):
        if "ExpectedBucketOwner" in model.operation_model(call.operation).input_shape.members:
            assert call.params.get("ExpectedBucketOwner") == ACCOUNT, call.operation


def test_the_instance_role_cannot_scan_a_table(recorded: Recorder) -> None:
    assert "Scan" in {c.operation for c in recorded.calls}
    app_actions = {action.lower() for _, action, _ in grants()}
    assert "dynamodb:scan" not in app_actions and "dynamodb:batchwriteitem" not in app_actions


def test_parliament_finds_nothing_in_the_operator_policy() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # it opens its data files unclosed
        from parliament import analyze_policy_string

        findings = analyze_policy_string(POLICY.read_text()).findings
    assert [(f.issue, f.detail) for f in findings] == []
