"""Platform upkeep in the bundle: managed platform updates, IMDSv2 only, and the load balancer
dropping invalid header fields, for a load-balanced and a single-instance environment.

Offline, as tests/deploy/test_push_resources.py does: option names against Elastic Beanstalk's
option reference (tests/deploy/test_bundle_https.py's DOCUMENTED), the load balancer's
resource against the CloudFormation reference and cfn-lint's copy of CloudFormation's own
schemas, merged into a stand-in for the load balancer Elastic Beanstalk makes.
"""

from __future__ import annotations

import copy
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.test_bundle import part, run
from tests.deploy.test_bundle_https import documented
from tests.deploy.test_push_resources import PROPERTIES, functions, load, resources_of
from tests.support import ROOT
from tictactoe.web.streams import HEARTBEAT

balancer = part("balancer")
LOAD_BALANCER = "AWSEBV2LoadBalancer"
# What Elastic Beanstalk names the load balancer's resources in a load-balanced environment
# ("Modifying the resources that Elastic Beanstalk creates for your environment"): none exists
# in a single-instance environment, so no file of its bundle may name one.
LOAD_BALANCER_RESOURCES = re.compile(r"^AWSEB(V2)?LoadBalancer")
# The attribute keys an application load balancer takes (CloudFormation reference,
# AWS::ElasticLoadBalancingV2::LoadBalancer LoadBalancerAttribute, Key).
ALB_ATTRIBUTES = {
    "access_logs.s3.bucket",
    "access_logs.s3.enabled",
    "access_logs.s3.prefix",
    "client_keep_alive.seconds",
    "connection_logs.s3.bucket",
    "connection_logs.s3.enabled",
    "connection_logs.s3.prefix",
    "deletion_protection.enabled",
    "idle_timeout.timeout_seconds",
    "ipv6.deny_all_igw_traffic",
    "load_balancing.cross_zone.enabled",
    "routing.http.desync_mitigation_mode",
    "routing.http.drop_invalid_header_fields.enabled",
    "routing.http.preserve_host_header.enabled",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
    "routing.http.xff_client_port.enabled",
    "routing.http.xff_header_processing.mode",
    "routing.http2.enabled",
    "waf.fail_open.enabled",
    "zonal_shift.config.enabled",
}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# CloudFormation template reference, AWS::ElasticLoadBalancingV2::LoadBalancer LoadBalancerAttribute
# (aws-properties-elasticloadbalancingv2-loadbalancer-loadbalancerattribute.html).
ATTRIBUTE_PROPERTIES = {"Key", "Value"}


def configs_of(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """Every .ebextensions file of a bundle built with `args`, parsed, by name in the zip."""
    out = tmp_path / "upkeep.zip"
    code, _, err = run(capsys, "--output", str(out), *args)
    assert code == 0, err
    with zipfile.ZipFile(out) as zf:
        texts = {n: zf.read(n).decode() for n in zf.namelist() if n.startswith(".ebextensions/")}
    parsed = {}
    for name, text in texts.items():
        doc, tags = load(text)
        assert not tags, f"{name} uses {tags}: Elastic Beanstalk refuses short forms"
        parsed[name] = doc
    return parsed


def options_of(configs: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The option settings as Elastic Beanstalk applies them: file by file, the later wins."""
    options: dict[str, dict[str, str]] = {}
    for _, doc in sorted(configs.items()):
        for namespace, values in (doc.get("option_settings") or {}).items():
            options.setdefault(namespace, {}).update(values)
    return options


def resolve(value: Any, options: dict[str, dict[str, str]]) -> Any:
    """Replace each Fn::GetOptionSetting with the option's value, or its DefaultValue."""
    if isinstance(value, list):
        return [resolve(item, options) for item in value]
    if not isinstance(value, dict):
        return value
    if list(value) == ["Fn::GetOptionSetting"]:
        ask = value["Fn::GetOptionSetting"]
        return options.get(ask["Namespace"], {}).get(ask["OptionName"], ask.get("DefaultValue"))
    return {key: resolve(item, options) for key, item in value.items()}


def attributes(resource: dict[str, Any]) -> dict[str, str]:
    return {a["Key"]: a["Value"] for a in resource["Properties"]["LoadBalancerAttributes"]}


@pytest.fixture
def balanced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return configs_of(tmp_path, capsys)  # LoadBalancing, the default


@pytest.fixture
def single(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return configs_of(tmp_path, capsys, "--environment-type", "SingleInstance")


@pytest.mark.parametrize("kind", ["balanced", "single"])
def test_both_kinds_update_the_platform_weekly_and_refuse_imdsv1(
    kind: str, request: pytest.FixtureRequest
) -> None:
    options = options_of(request.getfixturevalue(kind))
    for namespace in (
        "aws:elasticbeanstalk:managedactions",
        "aws:elasticbeanstalk:managedactions:platformupdate",
        "aws:autoscaling:launchconfiguration",
    ):
        allowed = documented(namespace)
        assert allowed is not None and set(options[namespace]) <= allowed, namespace
    managed = options["aws:elasticbeanstalk:managedactions"]
    update = options["aws:elasticbeanstalk:managedactions:platformupdate"]
    assert managed["ManagedActionsEnabled"] == "true"
    # The reference: with managed actions on, a window and a level must be given.
    day, hour, minute = managed["PreferredStartTime"].split(":")
    assert day in DAYS and 0 <= int(hour) < 24 and 0 <= int(minute) < 60
    # Minor and patch versions of the same platform branch; never a new branch.
    assert update["UpdateLevel"] == "minor"
    assert update["InstanceRefreshEnabled"] in ("true", "false")
    # Managed updates judge the new version by enhanced health.
    assert options["aws:elasticbeanstalk:healthreporting:system"]["SystemType"] == "enhanced"
    # IMDSv2 only: metadata (and the role's credentials) answer token-guarded requests alone.
    assert options["aws:autoscaling:launchconfiguration"]["DisableIMDSv1"] == "true"


def test_the_managed_update_role_is_the_one_the_docs_tell_the_operator_about(
    balanced: dict[str, Any],
) -> None:
    role = options_of(balanced)["aws:elasticbeanstalk:managedactions"][
        "ServiceRoleForManagedUpdates"
    ]
    # The default service role the console and the EB CLI create (not the service-linked role,
    # which cannot be given the permissions the bundle's own resources may need).
    assert role == "aws-elasticbeanstalk-service-role"
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert role in operations and "AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy" in (
        operations
    )


def test_a_load_balanced_bundle_drops_invalid_header_fields_and_keeps_the_idle_timeout(
    balanced: dict[str, Any],
) -> None:
    assert balancer.CONFIG_NAME in balanced
    resource = resources_of(balanced)[LOAD_BALANCER]
    assert resource["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
    assert set(resource) == {"Type", "Properties"}
    assert set(resource["Properties"]) == {"LoadBalancerAttributes"}  # nothing else overridden
    options = options_of(balanced)
    settled = attributes(resolve(resource, options))
    assert set(settled) <= ALB_ATTRIBUTES
    assert settled["routing.http.drop_invalid_header_fields.enabled"] == "true"
    # The list replaces the one Elastic Beanstalk writes from IdleTimeout: the streams'
    # timeout must come through unchanged (04-push.config), and outlast the heartbeat.
    idle = options["aws:elbv2:loadbalancer"]["IdleTimeout"]
    assert settled["idle_timeout.timeout_seconds"] == idle
    # Where no option sets it, the default still outlasts two missing heartbeats.
    assert int(attributes(resolve(resource, {}))["idle_timeout.timeout_seconds"]) >= 3 * HEARTBEAT


def test_the_headers_the_pages_send_survive_the_drop() -> None:
    """The pages' own request headers are valid names: the load balancer keeps them."""
    sent: set[str] = set()
    for script in (ROOT / "tictactoe" / "static").glob("*.js"):
        for block in re.findall(r"headers:\s*\{([^}]*)\}", script.read_text()):
            sent |= set(re.findall(r"['\"]([^'\"]+)['\"]\s*:", block))
    assert "X-CSRFToken" in sent  # what the API's CSRF check reads
    assert all(balancer.VALID_HEADER_NAME.match(name) for name in sent), sent
    assert not balancer.VALID_HEADER_NAME.match("X-Forwarded_For")


def test_a_single_instance_bundle_names_no_load_balancer(single: dict[str, Any]) -> None:
    """A stack with no load balancer fails on a file that changes or refers to one."""
    assert balancer.CONFIG_NAME not in single
    resources = resources_of(single)
    assert not [name for name in resources if LOAD_BALANCER_RESOURCES.match(name)]
    values = [r.get("Properties", {}) for r in resources.values()]
    for name, argument in functions(values):
        target = argument if name == "Ref" else argument[0] if name == "Fn::GetAtt" else ""
        assert not LOAD_BALANCER_RESOURCES.match(str(target)), (name, argument)


def test_a_single_instance_deploys_all_at_once_and_a_load_balanced_one_rolls(
    balanced: dict[str, Any], single: dict[str, Any]
) -> None:
    # Elastic Beanstalk's table of supported policies: a single instance takes All at once or
    # Immutable only, so its bundle must not ask for the rolling policy of 05-deploy.config.
    rolling = options_of(balanced)["aws:elasticbeanstalk:command"]
    assert rolling["DeploymentPolicy"] == "RollingWithAdditionalBatch"
    assert options_of(single)["aws:elasticbeanstalk:command"]["DeploymentPolicy"] == "AllAtOnce"


def test_cloudformations_schema_accepts_the_load_balancer_as_elastic_beanstalk_merges_it(
    balanced: dict[str, Any],
) -> None:
    from cfnlint.api import ManualArgs, lint  # comes with moto[server] (requirements-dev.txt)

    override = resolve(resources_of(balanced)[LOAD_BALANCER], options_of(balanced))
    props = override["Properties"]
    assert set(props) <= PROPERTIES[override["Type"]]
    for attribute in props["LoadBalancerAttributes"]:
        assert set(attribute) == ATTRIBUTE_PROPERTIES
    # A stand-in for the load balancer Elastic Beanstalk makes, with its own attribute list;
    # the bundle's properties take the place of the same properties.
    made: dict[str, Any] = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {
            "Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
            "SecurityGroups": ["sg-0a1b2c3d"],
            "LoadBalancerAttributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "60"}],
        },
    }
    merged = copy.deepcopy(made)
    merged["Properties"].update(copy.deepcopy(props))
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {LOAD_BALANCER: merged}}
    found = lint(json.dumps(template), config=ManualArgs(regions=["us-west-2"]))
    assert [(m.rule.id, m.message, m.path) for m in found if m.rule.severity == "error"] == []
    # The check can fail: attributes that are not a list of key and value are refused.
    wrong = copy.deepcopy(template)
    wrong["Resources"][LOAD_BALANCER]["Properties"]["LoadBalancerAttributes"] = "drop: true"
    found = lint(json.dumps(wrong), config=ManualArgs(regions=["us-west-2"]))
    assert [m for m in found if m.rule.severity == "error"]
