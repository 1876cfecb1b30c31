"""iam/deploy-policy.json and iam/deploy-trust.json: parliament's verdict, the trust limited to
this repository's main branch, wildcards only where IAM allows nothing narrower, and the
placeholders docs/deploy.md names. (iam/policy.json, the instances' policy, has its parliament
check in tests/deploy/test_policy.py.)"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, deploy_iam
from tests.support.deploy_iam import EXAMPLE, POLICY, TRUST

OIDC_HOST = "token.actions.githubusercontent.com"
# parliament (1.6.4) reads every document as an identity policy and knows SAML providers and
# four web identity providers (Cognito, Amazon, Facebook, Google) only. A role's trust policy
# has no Resource by design, and GitHub's OIDC provider is an `oidc-provider/` ARN, so it
# always reports these two on a trust policy. Anything else it finds fails the test.
TRUST_POLICY_FALSE_POSITIVES = {
    ("MALFORMED", "Statement contains neither Resource nor NotResource"),
    (
        "UNKNOWN_FEDERATION_SOURCE",
        f"arn:aws:iam::{EXAMPLE['AWS_ACCOUNT_ID']}:oidc-provider/{OIDC_HOST}",
    ),
}


def findings(path: Path) -> set[tuple[str, str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # it opens its data files unclosed
        from parliament import analyze_policy_string, enhance_finding

        found = analyze_policy_string(deploy_iam.filled(path), include_community_auditors=True)
        return {(f.issue, str(f.detail), enhance_finding(f).severity) for f in found.findings}


def test_parliament_finds_nothing_in_the_deploy_policy() -> None:
    assert findings(POLICY) == set()


def test_parliament_finds_only_what_it_cannot_know_about_trust_policies() -> None:
    assert {(issue, detail) for issue, detail, _ in findings(TRUST)} == (
        TRUST_POLICY_FALSE_POSITIVES
    )


def test_only_githubs_tokens_for_this_repositorys_main_branch_may_assume_the_role() -> None:
    (statement,) = json.loads(deploy_iam.filled(TRUST))["Statement"]
    account, repository = EXAMPLE["AWS_ACCOUNT_ID"], EXAMPLE["GITHUB_REPOSITORY"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::{account}:oidc-provider/{OIDC_HOST}"
    }
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    # Exact matches only: no StringLike, so no `*` can widen the branch or the repository.
    assert statement["Condition"] == {
        "StringEquals": {
            f"{OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{OIDC_HOST}:sub": f"repo:{repository}:ref:refs/heads/main",
        }
    }


@pytest.mark.parametrize("path", [POLICY, TRUST], ids=lambda p: p.name)
def test_the_files_hold_only_the_placeholders_the_readme_names(path: Path) -> None:
    expected = {
        POLICY: {"AWS_ACCOUNT_ID", "AWS_REGION", "EB_APPLICATION", "EB_ENVIRONMENT"},
        TRUST: {"AWS_ACCOUNT_ID", "GITHUB_REPOSITORY"},
    }[path]
    assert deploy_iam.placeholders(path) == expected
    deploy_doc = (ROOT / "docs" / "deploy.md").read_text()
    assert all(f"{name}=" in deploy_doc for name in expected)
    assert "$" not in deploy_iam.filled(path)


def test_no_grant_is_wider_than_iam_can_make_it() -> None:
    """`*` as a resource only for actions that accept no narrower one; no `*` in actions."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        from parliament import iam_definition  # the IAM reference it ships: works offline

    def resource_types(action: str) -> set[str]:
        prefix, name = action.split(":")
        return {
            kind["resource_type"]
            for service in iam_definition
            if service["prefix"] == prefix
            for privilege in service["privileges"]
            if privilege["privilege"] == name
            for kind in privilege["resource_types"]
        }

    for statement in deploy_iam.statements(POLICY):
        assert all("*" not in action for action in statement["Action"]), statement["Sid"]
        assert not any(a.startswith("iam:") for a in statement["Action"]), statement["Sid"]
        for resource in statement["Resource"]:
            if resource != "*":
                assert f":{EXAMPLE['AWS_ACCOUNT_ID']}" in resource or "-123456789012/" in (
                    resource
                ), resource
                continue
            for action in statement["Action"]:
                assert resource_types(action) == {""}, f"{action} can be scoped"


# What each deployment policy makes Elastic Beanstalk do with the deploying caller's rights,
# beyond an in-place deploy ("Deployment policies and settings"; the actions as AWS's own
# AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy grants them, on the environment's Auto
# Scaling group). RollingWithAdditionalBatch changes the capacity of the existing group: Auto
# Scaling launches the extra instance from the group's own launch template, and checks the
# caller's ec2:RunInstances only when a request names a launch template ("Control Amazon EC2
# launch template usage in Auto Scaling groups"). Immutable makes a second group, so the
# caller must create groups, run instances and pass the instance role.
ADD_BATCH = {
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
    "autoscaling:UpdateAutoScalingGroup",
}
DEPLOYMENT_POLICY_NEEDS = {
    "AllAtOnce": set(),
    "Rolling": set(),
    "RollingWithAdditionalBatch": ADD_BATCH,
    "Immutable": ADD_BATCH
    | {
        "autoscaling:CreateAutoScalingGroup",
        "autoscaling:DeleteAutoScalingGroup",
        "ec2:RunInstances",
        "iam:PassRole",
    },
}
# The environment's group, as CloudFormation names it inside Elastic Beanstalk's stack.
GROUP = (
    f"arn:aws:autoscaling:{EXAMPLE['AWS_REGION']}:{EXAMPLE['AWS_ACCOUNT_ID']}:autoScalingGroup:"
    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/"
    "awseb-e-abcd1234ef-stack-AWSEBAutoScalingGroup-1A2B3C4D5E6F"
)
OTHER_GROUP = GROUP.replace("awseb-e-abcd1234ef-stack", "payroll")


def bundled_deployment_policy() -> str:
    """Return the DeploymentPolicy the bundle sets (AllAtOnce, the default, if none)."""
    found = "AllAtOnce"
    for path in sorted((ROOT / ".ebextensions").glob("*.config")):
        options = yaml.safe_load(path.read_text()).get("option_settings", {})
        found = options.get("aws:elasticbeanstalk:command", {}).get("DeploymentPolicy", found)
    return found


def test_the_deploy_role_may_do_what_the_bundled_deployment_policy_needs_and_no_more() -> None:
    needed = DEPLOYMENT_POLICY_NEEDS[bundled_deployment_policy()]
    assert needed, "the bundle deploys all at once or in place: every deploy costs capacity"
    policy = deploy_iam.statements(POLICY)
    for action in needed:
        need = deploy_iam.Need(action, GROUP)
        assert any(deploy_iam.allows(s, need) for s in policy), f"cannot {action} on the group"
        # ...and only on the environment's own group, not on any other in the account.
        other = deploy_iam.Need(action, OTHER_GROUP)
        assert not any(deploy_iam.allows(s, other) for s in policy), f"{action} is too wide"
    (batch,) = [s for s in policy if s["Sid"] == "OnBehalfAddBatch"]
    assert set(batch["Action"]) == needed  # granted for this policy, for nothing else
    granted = {a for s in policy for a in s["Action"]}
    for other_policy, wanted in DEPLOYMENT_POLICY_NEEDS.items():
        if wanted - needed:
            assert not wanted - needed <= granted, f"the role could also deploy {other_policy}"
