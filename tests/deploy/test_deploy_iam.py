"""iam/deploy-policy.json and iam/deploy-trust.json: parliament's verdict, the trust limited to
this repository's main branch, wildcards only where IAM allows nothing narrower, and the
placeholders docs/deploy.md names. (iam/policy.json, the instances' policy, has its parliament
check in tests/deploy/test_policy.py.)"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from tests.support import ROOT, deploy_iam
from tests.support.deploy_iam import EXAMPLE, POLICY, TRUST

OIDC_HOST = "token.actions.githubusercontent.com"
# parliament (1.6.4) reads every document as an identity policy and knows SAML providers and
# four web identity providers (Cognito, Amazon, Facebook, Google) only. A role's trust policy
# has no Resource by design, and GitHub's OIDC provider is an `oidc-provider/` ARN, so it
# always reports these two on a trust policy. Anything else it finds fails the test.
TRUST_POLICY_FALSE_POSITIVES = {
    ("MALFORMED", "Statement contains neither Resource nor NotResource"),
    ("UNKNOWN_FEDERATION_SOURCE",
     f"arn:aws:iam::{EXAMPLE['AWS_ACCOUNT_ID']}:oidc-provider/{OIDC_HOST}"),
}  # fmt: skip


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
            for service in iam_definition if service["prefix"] == prefix
            for privilege in service["privileges"] if privilege["privilege"] == name
            for kind in privilege["resource_types"]
        }  # fmt: skip

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
