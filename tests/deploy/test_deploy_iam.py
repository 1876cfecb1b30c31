"""iam/deploy-policy.json and iam/deploy-trust.json: parliament's verdict, the trust limited to
this repository's main branch, wildcards only where IAM allows nothing narrower, and the
placeholders docs/deploy.md names. (iam/policy.json, the instances' policy, has its parliament
check in tests/deploy/test_policy.py.)"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_bundle import part
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


def resource_types(action: str) -> set[str]:
    """Return the resource types IAM's reference lists for an action ({""}: none, only `*`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        from parliament import iam_definition  # the IAM reference it ships: works offline

    prefix, name = action.split(":")
    return {
        kind["resource_type"]
        for service in iam_definition
        if service["prefix"] == prefix
        for privilege in service["privileges"]
        if privilege["privilege"] == name
        for kind in privilege["resource_types"]
    }


def test_no_grant_is_wider_than_iam_can_make_it() -> None:
    """`*` as a resource only for actions that accept no narrower one; no `*` in actions."""
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


# The resources the bundle adds to the environment's stack (.ebextensions and the files
# scripts/bundle.py generates). A deploy whose version changes one makes CloudFormation call
# that resource's service with the deploy role's rights, as it does for the stack itself. What
# each needs to be updated in place, or replaced where a changed property demands it (a new
# AlarmEmail replaces the subscription; an alarm added or dropped is created or deleted): the
# resource's handlers in its CloudFormation resource schema (cfn-lint's copy), less tagging
# beyond the stack's own tags, KMS, data protection and the properties the bundle never sets.
IN_PLACE = {
    "AWS::CloudWatch::Alarm": {
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:ListTagsForResource",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:TagResource",  # a new alarm gets the stack's tags
    },
    "AWS::CloudWatch::Dashboard": {"cloudwatch:GetDashboard", "cloudwatch:PutDashboard"},
    # Read only: its display name never changes (SetTopicAttributes would also set its policy).
    "AWS::SNS::Topic": {
        "sns:GetDataProtectionPolicy",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTagsForResource",
    },
    "AWS::SNS::Subscription": {
        "sns:GetSubscriptionAttributes",
        "sns:Subscribe",
        "sns:Unsubscribe",
    },
    "AWS::Logs::LogGroup": {
        "logs:DescribeIndexPolicies",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetDataProtectionPolicy",
        "logs:ListTagsForResource",
        "logs:PutRetentionPolicy",
    },
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {
        "elasticloadbalancing:DescribeCapacityReservation",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
    },
}
# Changed only by a deploy with the operator's own credentials (docs/deploy.md, "What the deploy
# role may do"), with the one action that proves the role cannot.
BY_HAND = {
    # Who may reach the site: a permissions-management action, as parliament rates it.
    "AWS::WAFv2::WebACL": "wafv2:UpdateWebACL",
    "AWS::WAFv2::WebACLAssociation": "wafv2:AssociateWebACL",
    # The push cache and its firewall, and the HTTPS listener: made once, never changed since.
    "AWS::ElastiCache::ServerlessCache": "elasticache:ModifyServerlessCache",
    "AWS::EC2::SecurityGroup": "ec2:AuthorizeSecurityGroupIngress",
    "AWS::ElasticLoadBalancingV2::Listener": "elasticloadbalancing:ModifyListener",
}
# The launch template Elastic Beanstalk makes for IMDSv2 (07-upkeep.config) changes with the
# instances' settings only, and the group then takes its new version, for which Auto Scaling
# checks the caller's ec2:RunInstances and iam:PassRole ("Control Amazon EC2 launch template
# usage in Auto Scaling groups"): a role that only ships code must hold neither.
LAUNCH_TEMPLATE = {"ec2:CreateLaunchTemplateVersion", "ec2:RunInstances", "iam:PassRole"}
STACK = "awseb-e-abcd1234ef-stack"  # Elastic Beanstalk's name for the environment's stack


def _name(value: Any, environment: str, stack: str) -> str:
    """Resolve the Ref and Fn::Join the bundle names its resources with."""
    if isinstance(value, str):
        return value
    ((function, argument),) = value.items()
    if function == "Ref":
        return {"AWSEBEnvironmentName": environment, "AWS::StackName": stack}[argument]
    assert function == "Fn::Join", function
    separator, parts = argument
    return separator.join(_name(part, environment, stack) for part in parts)


def bundled_resources() -> dict[str, dict[str, Any]]:
    """Return every resource the bundle can add, by logical name, generated files included."""
    texts = [p.read_text() for p in sorted((ROOT / ".ebextensions").glob("*.config"))]
    texts += [part("balancer").config_text(), part("waf").config_text()]
    texts.append(part("https").listener_config("arn:aws:acm:us-west-2:1:certificate/x"))
    found: dict[str, dict[str, Any]] = {}
    for text in texts:
        found.update(yaml.safe_load(text).get("Resources") or {})
    return found


def arn(kind: str, logical: str, properties: dict[str, Any], environment: str, stack: str) -> str:
    """Return the ARN IAM checks for a bundled resource (CloudFormation names the unnamed)."""
    region, account = EXAMPLE["AWS_REGION"], EXAMPLE["AWS_ACCOUNT_ID"]

    def named(key: str) -> str:
        return _name(properties[key], environment, stack)

    if kind == "AWS::CloudWatch::Alarm":
        return f"arn:aws:cloudwatch:{region}:{account}:alarm:{named('AlarmName')}"
    if kind == "AWS::CloudWatch::Dashboard":
        return f"arn:aws:cloudwatch::{account}:dashboard/{named('DashboardName')}"
    if kind == "AWS::SNS::Topic":  # no name given: stack-logical id-random suffix
        return f"arn:aws:sns:{region}:{account}:{stack}-{logical}-1A2B3C4D5E6F"
    if kind == "AWS::SNS::Subscription":  # Subscribe is checked on the topic
        topic = properties["TopicArn"]["Ref"]
        return f"arn:aws:sns:{region}:{account}:{stack}-{topic}-1A2B3C4D5E6F"
    if kind == "AWS::Logs::LogGroup":
        return f"arn:aws:logs:{region}:{account}:log-group:{named('LogGroupName')}:*"
    assert kind == "AWS::ElasticLoadBalancingV2::LoadBalancer", kind
    name = "awseb-AWSEB-1A2B3C4D5E6F" if stack == STACK else "payroll"  # Elastic Beanstalk's
    balancer = f"loadbalancer/app/{name}/0123456789abcdef"
    return f"arn:aws:elasticloadbalancing:{region}:{account}:{balancer}"


def handler_permissions(kind: str) -> set[str]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(EXAMPLE["AWS_REGION"], kind).schema
    return {p for handler in schema["handlers"].values() for p in handler["permissions"]}


@pytest.mark.parametrize("kind", sorted(IN_PLACE))
def test_what_the_role_may_do_to_the_bundles_resources_is_what_cloudformation_calls(
    kind: str,
) -> None:
    assert IN_PLACE[kind] <= handler_permissions(kind)


def test_the_deploy_role_may_change_the_bundles_own_resources_and_no_others() -> None:
    policy = deploy_iam.statements(POLICY)
    environment = EXAMPLE["EB_ENVIRONMENT"]
    kinds = set()
    for logical, resource in bundled_resources().items():
        kind = resource["Type"]
        kinds.add(kind)
        if kind in BY_HAND:
            continue
        mine = arn(kind, logical, resource.get("Properties", {}), environment, STACK)
        # The same resource of another application in the account.
        other = arn(kind, logical, resource.get("Properties", {}), "Payroll-env", "payroll")
        for action in IN_PLACE[kind]:
            assert any(deploy_iam.allows(s, deploy_iam.Need(action, mine)) for s in policy), (
                f"cannot {action} on {logical}"
            )
            # Not on another's, but where IAM names no resource for the action at all.
            assert resource_types(action) == {""} or not any(
                deploy_iam.allows(s, deploy_iam.Need(action, other)) for s in policy
            ), f"{action} reaches {other}"
    assert kinds == set(IN_PLACE) | set(BY_HAND)  # a new kind of resource needs a decision
    granted = {a for s in policy for a in s["Action"]}
    assert not (set(BY_HAND.values()) | LAUNCH_TEMPLATE) & granted
