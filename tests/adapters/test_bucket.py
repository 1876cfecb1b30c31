"""The picture bucket must be our own account's: checked at start-up, named on every call.

moto ignores ExpectedBucketOwner and lets any account use any bucket, so the refusals come
from a tiny S3 stand-in here that does what S3 documents: 403 when the expected owner is not
the bucket's. That every S3 call names the owner is checked on moto's recorded calls in
tests/deploy/test_policy.py.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack import processes
from tests.conftest import make_settings, passthrough
from tests.support import ROOT
from tictactoe import create_app
from tictactoe.adapters.bucket import NotOurBucket
from tictactoe.services.backend import build

THEIRS = "210987654321"  # the account that really owns the stand-in's buckets


class _StandIn(BaseHTTPRequestHandler):
    """HEAD bucket as S3 answers it: 200 for its owner, 403 for any other expected owner."""

    refuse_everyone = False

    def do_HEAD(self) -> None:  # noqa: N802 (the http.server name)
        expected = self.headers.get("x-amz-expected-bucket-owner")
        ours = expected in (None, THEIRS) and not self.refuse_everyone
        self.send_response(200 if ours else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(params=[False, True], ids=["another account's bucket", "403 for everyone"])
def stand_in(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_StandIn,), {"refuse_everyone": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_bucket_that_is_not_ours_stops_start_up(stand_in: str) -> None:
    settings = replace(make_settings(s3_endpoint=stand_in), expected_bucket_owner="123456789012")
    with mock_aws(config=passthrough(stand_in)), pytest.raises(NotOurBucket) as refused:
        create_app(settings)
    assert "belongs to another AWS account than 123456789012" in str(refused.value)
    assert "[s3].bucket" in str(refused.value)


def test_start_up_stops_with_one_line_and_no_traceback(stand_in: str, tmp_path: Path) -> None:
    config = tmp_path / "app.toml"
    config.write_text(
        f'[dynamodb]\nregion = "us-west-2"\nendpoint = "http://127.0.0.1:{processes.free_port()}"\n'
        f'[s3]\nbucket = "someone-elses"\nendpoint = "{stand_in}"\n'
        'expected_bucket_owner = "123456789012"\n'
    )
    env = {
        "CONFIG_FILE": str(config),
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    done = subprocess.run(
        [sys.executable, "-c", "import application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3  # gunicorn's boot error: the master halts, no restart loop
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("configuration error: the picture bucket 'someone-elses' belongs to")


def test_our_own_bucket_starts_and_its_owner_is_our_account(moto: None) -> None:
    app = create_app(make_settings())  # no owner configured: STS says whose we are
    owner = app.extensions["tictactoe"].bucket.owner
    assert owner.account() == boto3.client("sts").get_caller_identity()["Account"]


def test_a_configured_owner_is_used_without_asking_sts() -> None:
    settings = replace(make_settings(), expected_bucket_owner="123412341234")
    owner = build(settings).bucket.owner
    assert owner.account() == "123412341234"  # outside moto: asking STS would fail here
