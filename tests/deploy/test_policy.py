"""iam/policy.json is least privilege, both ways, and parliament finds nothing wrong with it.

How the proof works, and why this way. The issue asks to record every AWS operation the
app performs "across the test suite". Under pytest-xdist the suite runs in several
processes, in any order and subset, so a recording spread over it would be incomplete
whenever a single file is run. Instead this test drives every feature itself, in one
process: start-up (tables and bucket created), sign-up, login, logout, invitations sent,
rejected, withdrawn and accepted, moves to a win and a refused move, a resignation and a
claim (each counted in one transaction with the players' ratings), a player's results and the
leaderboard (a query per ladder shard), the game lists (both indexes), the live games (theirs),
the pages, a picture uploaded, replaced, served and removed, /health, and the
`create-tables` and `migrate` commands (on tables made to look as an older version left
them). Every botocore client created meanwhile reports each call
(tests/support/aws_calls.py), and each call is mapped to the IAM action and resource ARN it
needs (learning the account from STS needs none; every S3 call that can name the bucket's
expected owner must name that account). Then:

- the policy allows every one of those (action, resource) pairs;
- every (action, resource) pair the policy grants was needed by some call;
- every client method the code in tictactoe/ calls (found with `ast`) was among the calls
  recorded, so a new call that this test does not drive, or that the policy does not
  allow, fails here instead of with AccessDenied in production.

It runs with the names in beanstalk.toml, so the policy and the production config cannot
drift apart either.
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from PIL import Image

from tests.support import ROOT
from tests.support.aws_calls import (
    ACCOUNT,
    Need,
    Recorder,
    app_code,
    calls_in,
    needs,
    recording,
)
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe import __main__ as cli
from tictactoe import create_app
from tictactoe.config import parse
from tictactoe.store.schema import LADDER_INDEX

POLICY = ROOT / "iam" / "policy.json"
NEW_PASSWORD = "velvet quarry lantern"


def statements(path: Path = POLICY) -> list[dict[str, Any]]:
    policy = json.loads(path.read_text())
    assert policy["Version"] == "2012-10-17"
    found = policy["Statement"]
    for statement in found:
        assert statement["Effect"] == "Allow"
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, "no Not*/Condition"
    return found


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def grants(path: Path = POLICY) -> set[tuple[str, str, str]]:
    """Return (statement id, action, resource pattern) for everything the policy grants."""
    return {
        (s["Sid"], a, r)
        for s in statements(path)
        for a in listed(s["Action"])
        for r in listed(s["Resource"])
    }


def allows(action: str, resource_pattern: str, need: Need) -> bool:
    # IAM actions are case-insensitive; in ARNs `*` and `?` are wildcards, case counts.
    return action.lower() == need.action.lower() and fnmatch.fnmatchcase(
        need.resource, resource_pattern
    )


def picture(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), colour).save(out, "PNG")
    return out.getvalue()


def upload(player: ApiPlayer, data: bytes) -> Any:
    return player.call(
        "PUT",
        "/api/me/avatar",
        None,
        data={"image": (io.BytesIO(data), "me.png")},
        content_type="multipart/form-data",
    )


def with_key_parameter(config: Path, copy: Path) -> Path:
    """Write `config` with its example secret_key_parameter line switched on, to `copy`."""
    text, count = re.subn(
        r"^# (secret_key_parameter = .*)$", r"\1", config.read_text(), flags=re.MULTILINE
    )
    assert count == 1, f"{config} shows no secret_key_parameter example"
    copy.write_text(text)
    return copy


def store_session_key(config: Path) -> None:
    """Create the SecureString that the config names, as an operator does (not recorded)."""
    name = parse(config).secret_key_parameter
    boto3.client("ssm", region_name=parse(config).region).put_parameter(
        Name=name, Value="policy-test-key-of-32-characters", Type="SecureString"
    )


def make_it_old(operator: Any, config: Path) -> None:
    """Make the tables look as an older version left them (with a client that is not
    recorded): no deletion protection, and Users without the leaderboard's index."""
    settings = parse(config)
    for name in (settings.games_table, settings.users_table, settings.avatars_table):
        operator.update_table(TableName=name, DeletionProtectionEnabled=False)
    remove = [{"Delete": {"IndexName": LADDER_INDEX}}]
    operator.update_table(TableName=settings.users_table, GlobalSecondaryIndexUpdates=remove)


def exercise_every_feature(monkeypatch: pytest.MonkeyPatch, config: Path, operator: Any) -> None:
    """Use every feature of the app once, from start-up on, as players and operators do."""
    settings = replace(parse(config), secret_key="policy-test-key-of-32-characters")
    app = create_app(settings)  # creates the tables and the bucket
    app.config["TESTING"] = True
    alice, bob = (ApiPlayer(app.test_client(), name).register() for name in ("alice", "bob"))
    assert alice.call("POST", "/api/logout").status_code == 204
    alice.refresh_csrf()  # a new session after logging out
    wrong = {"username": "alice", "password": "not alice's password"}
    assert alice.call("POST", "/api/login", wrong).status_code == 401  # counted (limits)
    login = {"username": "alice", "password": PASSWORD}
    assert alice.call("POST", "/api/login", login).status_code == 200
    alice.refresh_csrf()
    assert alice.call("GET", "/api/me").status_code == 200

    declined = alice.invite(bob)
    assert bob.call("POST", f"/api/games/{declined['id']}/reject").status_code == 204
    withdrawn = alice.invite(bob)  # the pair's lock, taken and released
    assert alice.call("POST", "/api/games", {"opponent": "bob"}).status_code == 409
    assert alice.call("POST", f"/api/games/{withdrawn['id']}/cancel").status_code == 204
    game = bob.accept(alice.invite(bob))
    assert alice.move(game, 4).status_code == 409  # not alice's turn: a refused write
    assert alice.call("GET", "/api/games").status_code == 200  # open games: read in a batch
    assert alice.call("GET", "/api/live-games").status_code == 200  # the live index, a batch
    by_name = {alice.name: alice, bob.name: bob}
    cells = {game["x_player"]: iter([0, 1, 2]), game["o_player"]: iter([3, 4])}
    while game["status"] != "FINISHED":
        game = by_name[game["turn"]].move(game, next(cells[game["turn"]])).get_json()
    assert alice.call("GET", f"/api/games/{game['id']}").status_code == 200
    assert alice.call("GET", "/api/games").status_code == 200
    exercise_results(app, alice, bob)
    assert alice.client.get("/").status_code == 200
    assert alice.client.get(f"/games/{game['id']}").status_code == 200
    assert alice.client.get("/profile").status_code == 200
    # A page that knows no games still shows the player's picture in its header.
    missing = alice.client.get("/games/nosuchgame000", headers={"Accept": "text/html"})
    assert missing.status_code == 404

    assert upload(alice, picture("red")).status_code == 201
    url = upload(alice, picture("blue")).get_json()["avatar_url"]  # replaces the first
    assert alice.client.get(url).status_code == 200
    assert bob.call("GET", "/api/games").status_code == 200  # lists show pictures
    assert alice.call("DELETE", "/api/me/avatar").status_code == 204

    exercise_accounts(app, alice, bob)
    assert app.test_client().get("/health").status_code == 200
    monkeypatch.setenv("CONFIG_FILE", str(config))  # no TICTACTOE_SECRET_KEY: the key is in SSM
    assert cli.main(["create-tables"]) == 0
    make_it_old(operator, config)
    assert cli.main(["migrate", "--dry-run"]) == 0
    assert cli.main(["migrate"]) == 0  # adds the index back, protects the tables again


def exercise_results(app: Any, alice: ApiPlayer, bob: ApiPlayer) -> None:
    """A player's results, the leaderboard, a resignation and a claim (each counted)."""
    assert alice.call("GET", "/api/players/bob").status_code == 200
    assert alice.call("GET", "/api/leaderboard").status_code == 200  # a query per shard
    resigned = bob.accept(alice.invite(bob))
    assert alice.call("POST", f"/api/games/{resigned['id']}/resign").status_code == 200
    claimed = bob.accept(alice.invite(bob))  # bob (X) is to move, and does not
    games = app.extensions["tictactoe"].games
    games.clock = lambda: time.time() + 4 * 24 * 3600
    assert alice.call("POST", f"/api/games/{claimed['id']}/claim").status_code == 200
    games.clock = time.time


def exercise_accounts(app: Any, alice: ApiPlayer, bob: ApiPlayer) -> None:
    """Change a password, sign out everywhere, refuse a look-alike, delete an account."""
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert alice.call("POST", "/api/me/password", change).status_code == 204
    assert alice.call("POST", "/api/me/sessions/revoke").status_code == 204
    alice.refresh_csrf()
    login = {"username": "alice", "password": NEW_PASSWORD}
    assert alice.call("POST", "/api/login", login).status_code == 200
    alice.refresh_csrf()
    assert ApiPlayer(app.test_client(), "aIice").register(expect=409)
    playing = bob.accept(alice.invite(bob))  # deletion ends it as alice's resignation
    alice.invite(bob)  # and deletes the invitation
    assert upload(alice, picture("green")).status_code == 201
    assert alice.call("DELETE", "/api/me", {"password": NEW_PASSWORD}).status_code == 204
    assert bob.call("GET", f"/api/games/{playing['id']}").get_json()["winner"] == "bob"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    """Every AWS call of one run through every feature, shared by the checks below.

    Module scope, so the same guard as conftest's (function-scoped) one: no profile, no
    credentials or config file of the machine, fake keys; moto answers every call.
    """
    nowhere = tmp_path_factory.mktemp("no-aws") / "none"
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "CONFIG_FILE",
            "TICTACTOE_SECRET_KEY",
        ):
            monkeypatch.delenv(name, raising=False)
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            monkeypatch.setenv(name, str(nowhere))
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        config = with_key_parameter(ROOT / "beanstalk.toml", nowhere.parent / "beanstalk.toml")
        with mock_aws():
            store_session_key(config)
            operator = boto3.client("dynamodb", region_name=parse(config).region)
            with recording() as recorder:
                exercise_every_feature(monkeypatch, config, operator)
    yield recorder


def test_the_policy_allows_every_call_the_app_makes(recorded: Recorder) -> None:
    granted = grants()
    refused = sorted(
        {
            (n.operation, n.action, n.resource)
            for c in recorded.calls
            for n in needs(c)
            if not any(allows(a, r, n) for _, a, r in granted)
        }
    )
    assert not refused, f"iam/policy.json does not allow: {refused}"


def test_the_policy_grants_nothing_the_app_does_not_use(recorded: Recorder) -> None:
    used = [n for c in recorded.calls for n in needs(c)]
    unused = sorted(g for g in grants() if not any(allows(g[1], g[2], n) for n in used))
    assert not unused, f"iam/policy.json grants what the app never needs: {unused}"


def test_every_aws_call_in_the_code_was_exercised(recorded: Recorder) -> None:
    # Export and import (OPERATOR_ONLY) run with an operator's credentials, never the
    # instance role's: tests/deploy/test_operator_policy.py proves their policy the same way.
    called = calls_in(app_code())
    assert {"PutItem", "UpdateItem", "Query", "PutObject"} <= called.keys()  # the scan works
    seen = {operation for _, operation in recorded.operations}
    missing = {op: where for op, where in called.items() if op not in seen}
    assert not missing, f"called in the code but never driven by this test: {missing}"


def test_every_s3_call_names_the_bucket_owner(recorded: Recorder) -> None:
    """Each S3 call that can name the bucket's expected owner names our own account."""
    model = boto3.client("s3", region_name="us-west-2").meta.service_model
    s3_calls = [c for c in recorded.calls if c.service == "s3"]
    assert {"HeadBucket", "PutObject", "GetObject", "DeleteObjects"} <= {
        c.operation for c in s3_calls
    }
    for call in s3_calls:
        if "ExpectedBucketOwner" in model.operation_model(call.operation).input_shape.members:
            assert call.params.get("ExpectedBucketOwner") == ACCOUNT, call.operation


def test_the_policy_names_no_wildcard_action_or_resource() -> None:
    for _, action, resource in grants():
        assert "*" not in action
        assert resource != "*" and resource.split(":")[2] in ("dynamodb", "s3", "ssm")


def test_parliament_finds_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # it opens its data files unclosed
        from parliament import analyze_policy_string

        findings = analyze_policy_string(POLICY.read_text()).findings
    assert [(f.issue, f.detail) for f in findings] == []
