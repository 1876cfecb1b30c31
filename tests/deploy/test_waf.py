"""scripts/bundling/waf.py (`bundle.py --waf`): the web ACL on the load balancer, checked offline.

Against the CloudFormation reference (property names of AWS::WAFv2::WebACL, its rule types and
AWS::WAFv2::WebACLAssociation), cfn-lint's copy of CloudFormation's schemas, and the app itself:
the rate rule watches exactly the paths where the app takes a password and lets through all
that the app would answer, and picture uploads are not blocked for their size.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.test_bundle import part, run
from tests.deploy.test_push_resources import EB_RESOURCES, PSEUDO, functions, load
from tests.support import ROOT
from tictactoe.config import parse
from tictactoe.web.pictures import UPLOAD_LIMIT

waf = part("waf")
CFN = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference"
# Property names from the CloudFormation template reference (read-only attributes left out).
PROPERTIES: dict[str, set[str]] = {
    # {CFN}/aws-resource-wafv2-webacl.html
    "AWS::WAFv2::WebACL": {
        "ApplicationConfig",
        "AssociationConfig",
        "CaptchaConfig",
        "ChallengeConfig",
        "CustomResponseBodies",
        "DataProtectionConfig",
        "DefaultAction",
        "Description",
        "Name",
        "OnSourceDDoSProtectionConfig",
        "Rules",
        "Scope",
        "Tags",
        "TokenDomains",
        "VisibilityConfig",
    },
    # {CFN}/aws-resource-wafv2-webaclassociation.html
    "AWS::WAFv2::WebACLAssociation": {"ResourceArn", "WebACLArn"},
}
# {CFN}/aws-properties-wafv2-webacl-rule.html, -visibilityconfig.html, -statement.html,
# -managedrulegroupstatement.html, -ruleactionoverride.html, -ratebasedstatement.html,
# -bytematchstatement.html, -andstatement.html, -orstatement.html, -texttransformation.html
NESTED: dict[str, set[str]] = {
    "Rule": {
        "Action",
        "CaptchaConfig",
        "ChallengeConfig",
        "Name",
        "OverrideAction",
        "Priority",
        "RuleLabels",
        "Statement",
        "VisibilityConfig",
    },
    "VisibilityConfig": {"CloudWatchMetricsEnabled", "MetricName", "SampledRequestsEnabled"},
    "ManagedRuleGroupStatement": {
        "ExcludedRules",
        "ManagedRuleGroupConfigs",
        "Name",
        "RuleActionOverrides",
        "ScopeDownStatement",
        "VendorName",
        "Version",
    },
    "RuleActionOverride": {"ActionToUse", "Name"},
    "RateBasedStatement": {
        "AggregateKeyType",
        "CustomKeys",
        "EvaluationWindowSec",
        "ForwardedIPConfig",
        "Limit",
        "ScopeDownStatement",
    },
    "ByteMatchStatement": {
        "FieldToMatch",
        "PositionalConstraint",
        "SearchString",
        "SearchStringBase64",
        "TextTransformations",
    },
    "AndStatement": {"Statements"},
    "OrStatement": {"Statements"},
    "TextTransformation": {"Priority", "Type"},
}
# RateBasedStatement EvaluationWindowSec: the window lengths the reference allows.
WINDOWS = {60, 120, 300, 600}


@pytest.fixture
def acl() -> dict[str, Any]:
    doc, tags = load(waf.config_text())
    assert not tags, f"short forms {tags}: Elastic Beanstalk refuses them"
    assert set(doc) == {"Resources"}
    return doc["Resources"]


def statements(statement: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every (kind, body) in a statement tree, outermost first."""
    ((kind, body),) = statement.items()
    found = [(kind, body)]
    for inner in body.get("Statements", []):
        found += statements(inner)
    for key in ("ScopeDownStatement",):
        if key in body:
            found += statements(body[key])
    return found


def matches(statement: dict[str, Any], method: str, path: str) -> bool:
    """Evaluate a scope-down statement as WAF does, for the statement kinds the file uses."""
    ((kind, body),) = statement.items()
    if kind == "AndStatement":
        return all(matches(s, method, path) for s in body["Statements"])
    if kind == "OrStatement":
        return any(matches(s, method, path) for s in body["Statements"])
    assert kind == "ByteMatchStatement" and body["PositionalConstraint"] == "EXACTLY"
    assert body["TextTransformations"] == [{"Priority": 0, "Type": "NONE"}]
    (field,) = body["FieldToMatch"]
    value = {"Method": method, "UriPath": path}[field]
    return value == body["SearchString"]


def rule(acl: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for r in acl["WafWebAcl"]["Properties"]["Rules"] if r["Name"] == name]
    return found


def test_every_property_is_one_the_reference_lists(acl: dict[str, Any]) -> None:
    for logical, resource in acl.items():
        assert set(resource) == {"Type", "Properties"}, logical
        assert set(resource["Properties"]) <= PROPERTIES[resource["Type"]], logical
    props = acl["WafWebAcl"]["Properties"]
    assert props["Scope"] == "REGIONAL"  # the scope for an application load balancer
    assert props["DefaultAction"] == {"Allow": {}}
    configs = [props["VisibilityConfig"]]
    for each in props["Rules"]:
        assert set(each) <= NESTED["Rule"], each["Name"]
        assert len({"Action", "OverrideAction"} & set(each)) == 1, each["Name"]
        configs.append(each["VisibilityConfig"])
        for kind, body in statements(each["Statement"]):
            assert set(body) <= NESTED[kind], (each["Name"], kind)
            for override in body.get("RuleActionOverrides", []):
                assert set(override) <= NESTED["RuleActionOverride"]
            for transformation in body.get("TextTransformations", []):
                assert set(transformation) <= NESTED["TextTransformation"]
    assert all(set(c) == NESTED["VisibilityConfig"] for c in configs)
    names = [c["MetricName"] for c in configs]
    assert len(set(names)) == len(names)  # one metric per rule, in CloudWatch's AWS/WAFV2
    priorities = [each["Priority"] for each in props["Rules"]]
    assert len(set(priorities)) == len(priorities)


def test_the_acl_guards_the_environments_load_balancer(acl: dict[str, Any]) -> None:
    association = acl["WafWebAclAssociation"]
    assert association["Type"] == "AWS::WAFv2::WebACLAssociation"
    props = association["Properties"]
    # Ref on an AWS::ElasticLoadBalancingV2::LoadBalancer gives its ARN.
    assert props["ResourceArn"] == {"Ref": "AWSEBV2LoadBalancer"}
    assert EB_RESOURCES["AWSEBV2LoadBalancer"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
    assert props["WebACLArn"] == {"Fn::GetAtt": ["WafWebAcl", "Arn"]}
    for name, argument in functions([r["Properties"] for r in acl.values()]):
        assert name in {"Ref", "Fn::GetAtt", "Fn::Join"}, name
        if name == "Ref":
            assert argument in set(acl) | set(EB_RESOURCES) | PSEUDO, argument


def test_the_rate_rule_counts_password_posts_per_address(acl: dict[str, Any]) -> None:
    login = rule(acl, "login-rate")
    assert login["Action"] == {"Block": {}}
    rate = login["Statement"]["RateBasedStatement"]
    # By the client's own address: WAF on an application load balancer sees it directly.
    assert rate["AggregateKeyType"] == "IP"
    assert rate["EvaluationWindowSec"] in WINDOWS and rate["Limit"] >= 10
    scope = rate["ScopeDownStatement"]
    for path in waf.LOGIN_PATHS:
        assert matches(scope, "POST", path)
        assert not matches(scope, "GET", path)  # loading the login page is not a guess
    for method, path in [
        ("POST", "/api/games"),
        ("POST", "/api/login/x"),
        ("PUT", "/login"),
        ("POST", "/signup"),
        ("POST", "/Login"),
    ]:
        assert not matches(scope, method, path), (method, path)


def test_the_rate_rule_blocks_only_what_the_app_would_refuse_anyway() -> None:
    production = parse(ROOT / "beanstalk.toml")
    per_minute = waf.LOGIN_RATE_LIMIT * 60 / waf.LOGIN_WINDOW_SECONDS
    assert per_minute >= production.login_attempts_per_client > 0


def test_the_watched_paths_are_every_place_the_app_takes_a_password(app: Any) -> None:
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert set(waf.LOGIN_PATHS) <= posts
    assert {path for path in posts if path.endswith("/login")} == set(waf.LOGIN_PATHS)
    client = app.test_client()
    answer = client.post("/api/login", json={"name": "nobody", "password": "x" * 12})
    assert answer.status_code in (400, 401, 403)  # a password was looked at here


def test_picture_uploads_are_not_blocked_for_their_size(acl: dict[str, Any]) -> None:
    common = rule(acl, "aws-common-rules")
    assert common["OverrideAction"] == {"None": {}}  # the group's other rules still block
    group = common["Statement"]["ManagedRuleGroupStatement"]
    assert (group["VendorName"], group["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    # The rule blocks bodies over what WAF inspects behind a load balancer (8 KB); a picture
    # upload is far bigger, so the rule may count and never block.
    assert UPLOAD_LIMIT > waf.BODY_INSPECTION_LIMIT
    overrides = {o["Name"]: o["ActionToUse"] for o in group["RuleActionOverrides"]}
    assert overrides == {waf.BODY_SIZE_RULE: {"Count": {}}}
    assert waf.BODY_SIZE_RULE == "SizeRestrictions_BODY"  # WAF ignores a misspelled name


def test_cloudformations_own_schemas_accept_the_web_acl(acl: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint  # comes with moto[server] (requirements-dev.txt)

    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": acl
        | {
            "AWSEBV2LoadBalancer": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]},
            },
        },
    }
    found = lint(json.dumps(template), config=ManualArgs(regions=["us-west-2"]))
    assert [(m.rule.id, m.message, m.path) for m in found if m.rule.severity == "error"] == []
    # The same check refuses a rate rule with a window WAF does not offer.
    login = rule(template["Resources"], "login-rate")
    login["Statement"]["RateBasedStatement"]["EvaluationWindowSec"] = 90
    found = lint(json.dumps(template), config=ManualArgs(regions=["us-west-2"]))
    assert [m for m in found if m.rule.severity == "error"]


def test_the_flag_puts_the_acl_in_a_load_balanced_bundle_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--waf", "--output", str(tmp_path / "waf.zip"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "waf.zip") as zf:
        assert zf.read(waf.CONFIG_NAME).decode() == waf.config_text()
    code, _, _ = run(capsys, "--output", str(tmp_path / "plain.zip"))
    assert code == 0
    with zipfile.ZipFile(tmp_path / "plain.zip") as zf:
        assert waf.CONFIG_NAME not in zf.namelist()  # off by default
    code, _, err = run(
        capsys,
        "--waf",
        "--environment-type",
        "SingleInstance",
        "--output",
        str(tmp_path / "single.zip"),
    )
    assert code == 2 and not (tmp_path / "single.zip").exists()
