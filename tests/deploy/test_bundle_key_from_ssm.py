"""A bundle built with --upload starts as Elastic Beanstalk runs it, its key read from SSM.

moto's server stands in for the account: scripts/bundle.py --upload (run as an operator runs
it, with AWS_ENDPOINT_URL pointing there) creates the role, the key's SecureString and the
bundle, which names the parameter and holds no key. The unzipped bundle's `web:` process then
starts as on an instance: no AWS keys in its environment, only the instance's credentials,
which botocore fetches from the instance metadata service (moto's server answers that too,
IMDSv2 tokens included; AWS_EC2_METADATA_SERVICE_ENDPOINT points botocore at it), and SSM
reached through AWS_ENDPOINT_URL_SSM. Substitutions, as in tests/deploy/test_bundle_runs.py:
endpoint keys for DynamoDB and S3 in the unzipped beanstalk.toml (the same moto server), a
loopback port for `--bind`, push off (no cache here), and this repository's virtualenv
(test_bundle_runs.py proves the bundle's requirements.txt on its own).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from devstack import moto_server, processes
from tests.deploy.test_bundle_runs import (
    HttpClient,
    environment_properties,
    point_at_local,
    procfile_command,
    rebind,
    unzip_bundle,
    wait_healthy,
)
from tests.support.players import ApiPlayer
from tictactoe.config import parse

pytestmark = pytest.mark.stack

REGION = "us-west-2"
PARAMETER = "/tictactoe/tictactoe/secret-key"


@pytest.fixture
def moto_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server as the account; bundle.py's boto3 clients (this process's) reach it."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # the role attaches one
    port = processes.free_port()
    server = moto_server.start(port, tmp_path / "moto.log")
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield url
    finally:
        processes.stop(server)


def instance_environment(app_dir: Path, moto_url: str, home: Path) -> dict[str, str]:
    """The process's environment on an instance: the bundle's properties, and no AWS keys.

    Properties that are CloudFormation functions (the cache's endpoint, the environment's
    name) are resolved only on AWS: left out here. Files the instance keeps under /var/log
    go under `home` instead.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    properties = {
        k: v for k, v in environment_properties(app_dir).items() if not v.startswith("`{")
    }
    for name, value in properties.items():
        if value.startswith("/var/log/"):
            properties[name] = str(home / value.removeprefix("/"))
            Path(properties[name]).parent.mkdir(parents=True, exist_ok=True)
    assert "TICTACTOE_SECRET_KEY" not in properties
    nowhere = home / "no-aws-files"
    return (
        env
        | properties
        | {
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": moto_url + "/",
            "AWS_ENDPOINT_URL_SSM": moto_url,
            "AWS_CONFIG_FILE": str(nowhere),
            "AWS_SHARED_CREDENTIALS_FILE": str(nowhere),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        }
    )


def test_the_uploaded_bundle_signs_players_in_with_the_key_from_ssm(
    tmp_path: Path, moto_url: str
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="releases", CreateBucketConfiguration={"LocationConstraint": REGION})
    app_dir = unzip_bundle(tmp_path, "--upload", "s3://releases/tictactoe/v1.zip")
    bundled = parse(app_dir / "beanstalk.toml")
    assert bundled.secret_key is None and bundled.secret_key_parameter == PARAMETER
    point_at_local(app_dir / "beanstalk.toml", moto_url, moto_url)
    key = boto3.client("ssm", region_name=REGION).get_parameter(
        Name=PARAMETER, WithDecryption=True
    )["Parameter"]["Value"]

    port, log = processes.free_port(), tmp_path / "web.log"
    args = rebind(procfile_command(app_dir, "web"), "web", f"127.0.0.1:{port}")
    env = instance_environment(app_dir, moto_url, tmp_path / "instance")
    with log.open("ab") as out:
        web = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=app_dir, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            processes.wait_for_port(port, web, timeout=60)
            wait_healthy(base, timeout=60)
        except (RuntimeError, TimeoutError, AssertionError) as err:  # in the process's words
            raise AssertionError(f"{err}\n{log.read_text()[-3000:]}") from None
        alice = ApiPlayer(HttpClient(base), "alice").register()
        me = alice.call("GET", "/api/me")
        assert me.status_code == 200 and me.json()["username"] == "alice"
    finally:
        processes.stop(web)
    # The instance's credentials came from the metadata service, IMDSv2 (a token first): only
    # the web process asks it, bundle.py ran with keys in its environment.
    served = (tmp_path / "moto.log").read_text()
    assert '"PUT /latest/api/token HTTP/1.1" 200' in served
    assert '"GET /latest/meta-data/iam/security-credentials/default-role HTTP/1.1" 200' in served
    # The session cookie is signed with the parameter's key, and only that key verifies it.
    cookie = alice.client.session.cookies["session"]
    assert signed_with(key, cookie)
    assert not signed_with("another-key-" + "x" * 40, cookie)


def signed_with(key: str, cookie: str) -> bool:
    """Whether Flask's session serializer, keyed with `key`, accepts `cookie`."""
    app = Flask(__name__)
    app.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    try:
        serializer.loads(cookie)
    except BadSignature:
        return False
    return True
