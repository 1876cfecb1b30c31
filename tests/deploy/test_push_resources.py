""".ebextensions' CloudFormation resources (the push cache) checked offline against the references.

AWS cannot be reached from here, so the resources are checked against what the documentation
says: each resource's type is one this file lists, with the property names (and nested ones)
its CloudFormation reference page lists; every function is one Elastic Beanstalk documents,
and every Ref and Fn::GetAtt names a resource of the bundle or of Elastic Beanstalk, and an
attribute the reference lists for its type. Then what the push cache needs in particular: its
port open to the instances' security group alone, and TICTACTOE_PUSH_URL built from its
endpoint as rediss://. Last, cfn-lint (which comes with moto[server]) reads the same resources
with CloudFormation's own resource schemas, beside a stand-in for Elastic Beanstalk's
instance security group.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_bundle import run
from tests.deploy.test_bundle_https import ARN
from tests.support import ROOT
from tictactoe.config import PUSH_URL_ENV, parse
from tictactoe.web.streams import HEARTBEAT

CFN = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference"

# Property names per resource type, from each type's "Properties" section of the CloudFormation
# template reference (nested property types below). Read-only attributes are not properties.
PROPERTIES: dict[str, set[str]] = {
    # {CFN}/aws-resource-elasticache-serverlesscache.html
    "AWS::ElastiCache::ServerlessCache": {
        "CacheUsageLimits",
        "DailySnapshotTime",
        "Description",
        "Endpoint",
        "Engine",
        "FinalSnapshotName",
        "KmsKeyId",
        "MajorEngineVersion",
        "ReaderEndpoint",
        "SecurityGroupIds",
        "ServerlessCacheName",
        "SnapshotArnsToRestore",
        "SnapshotRetentionLimit",
        "SubnetIds",
        "Tags",
        "UserGroupId",
    },
    # {CFN}/aws-resource-ec2-securitygroup.html
    "AWS::EC2::SecurityGroup": {
        "GroupDescription",
        "GroupName",
        "SecurityGroupEgress",
        "SecurityGroupIngress",
        "Tags",
        "VpcId",
    },
    # {CFN}/aws-resource-elasticloadbalancingv2-listener.html (the HTTPS bundle's redirect)
    "AWS::ElasticLoadBalancingV2::Listener": {
        "AlpnPolicy",
        "Certificates",
        "DefaultActions",
        "ListenerAttributes",
        "LoadBalancerArn",
        "MutualAuthentication",
        "Port",
        "Protocol",
        "SslPolicy",
    },
    # {CFN}/aws-resource-elasticloadbalancingv2-loadbalancer.html (07-balancer.config's attributes)
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {
        "EnableCapacityReservationProvisionStabilize",
        "EnablePrefixForIpv6SourceNat",
        "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic",
        "IpAddressType",
        "Ipv4IpamPoolId",
        "LoadBalancerAttributes",
        "MinimumLoadBalancerCapacity",
        "Name",
        "Scheme",
        "SecurityGroups",
        "SubnetMappings",
        "Subnets",
        "Tags",
        "Type",
    },
    # 06-alarms.config: {CFN}/aws-resource-sns-topic.html, aws-resource-sns-subscription.html,
    # aws-resource-cloudwatch-alarm.html, aws-resource-cloudwatch-dashboard.html,
    # aws-resource-logs-loggroup.html
    "AWS::SNS::Topic": {
        "ArchivePolicy",
        "ContentBasedDeduplication",
        "DataProtectionPolicy",
        "DeliveryStatusLogging",
        "DisplayName",
        "FifoThroughputScope",
        "FifoTopic",
        "KmsMasterKeyId",
        "SignatureVersion",
        "Subscription",
        "Tags",
        "TopicName",
        "TracingConfig",
    },
    "AWS::SNS::Subscription": {
        "DeliveryPolicy",
        "Endpoint",
        "FilterPolicy",
        "FilterPolicyScope",
        "Protocol",
        "RawMessageDelivery",
        "RedrivePolicy",
        "Region",
        "ReplayPolicy",
        "SubscriptionRoleArn",
        "TopicArn",
    },
    "AWS::CloudWatch::Alarm": {
        "ActionsEnabled",
        "AlarmActions",
        "AlarmDescription",
        "AlarmName",
        "ComparisonOperator",
        "DatapointsToAlarm",
        "Dimensions",
        "EvaluateLowSampleCountPercentile",
        "EvaluationPeriods",
        "ExtendedStatistic",
        "InsufficientDataActions",
        "MetricName",
        "Metrics",
        "Namespace",
        "OKActions",
        "Period",
        "Statistic",
        "Tags",
        "Threshold",
        "ThresholdMetricId",
        "TreatMissingData",
        "Unit",
    },
    "AWS::CloudWatch::Dashboard": {"DashboardBody", "DashboardName"},
    "AWS::Logs::LogGroup": {
        "DataProtectionPolicy",
        "DeletionProtectionEnabled",
        "FieldIndexPolicies",
        "KmsKeyId",
        "LogGroupClass",
        "LogGroupName",
        "ResourcePolicyDocument",
        "RetentionInDays",
        "Tags",
    },
}
NESTED: dict[str, set[str]] = {
    # {CFN}/aws-properties-elasticache-serverlesscache-cacheusagelimits.html, -datastorage.html,
    # -ecpupersecond.html
    "CacheUsageLimits": {"DataStorage", "ECPUPerSecond"},
    "DataStorage": {"Maximum", "Minimum", "Unit"},
    "ECPUPerSecond": {"Maximum", "Minimum"},
    # {CFN}/aws-properties-ec2-securitygroup-ingress.html and -egress.html
    "SecurityGroupIngress": {
        "CidrIp",
        "CidrIpv6",
        "Description",
        "FromPort",
        "IpProtocol",
        "SourcePrefixListId",
        "SourceSecurityGroupId",
        "SourceSecurityGroupName",
        "SourceSecurityGroupOwnerId",
        "ToPort",
    },
    "SecurityGroupEgress": {
        "CidrIp",
        "CidrIpv6",
        "Description",
        "DestinationPrefixListId",
        "DestinationSecurityGroupId",
        "FromPort",
        "IpProtocol",
        "ToPort",
    },
    # {CFN}/aws-properties-cloudwatch-alarm-metricdataquery.html, -metricstat.html,
    # -metric.html, -dimension.html
    "MetricDataQuery": {
        "AccountId",
        "Expression",
        "Id",
        "Label",
        "MetricStat",
        "Period",
        "ReturnData",
    },
    "MetricStat": {"Metric", "Period", "Stat", "Unit"},
    "Metric": {"Dimensions", "MetricName", "Namespace"},
    "Dimension": {"Name", "Value"},
}
# Fn::GetAtt attributes per type (each reference page's "Return values").
ATTRIBUTES: dict[str, set[str]] = {
    "AWS::ElastiCache::ServerlessCache": {
        "ARN",
        "CreateTime",
        "Endpoint.Address",
        "Endpoint.Port",
        "FullEngineVersion",
        "ReaderEndpoint.Address",
        "ReaderEndpoint.Port",
        "Status",
    },
    "AWS::EC2::SecurityGroup": {"GroupId", "VpcId"},
    "AWS::ElasticLoadBalancingV2::Listener": {"ListenerArn"},
    "AWS::SNS::Topic": {"TopicArn", "TopicName"},
    "AWS::SNS::Subscription": {"Arn"},
    "AWS::CloudWatch::Alarm": {"Arn"},
    "AWS::CloudWatch::Dashboard": set(),
    "AWS::Logs::LogGroup": {"Arn"},
}
# Resources Elastic Beanstalk puts in every environment's stack, by the names its developer guide
# gives them ("Modifying the resources that Elastic Beanstalk creates for your environment").
EB_RESOURCES = {
    "AWSEBSecurityGroup": "AWS::EC2::SecurityGroup",
    "AWSEBV2LoadBalancer": "AWS::ElasticLoadBalancingV2::LoadBalancer",
}
PSEUDO = {"AWS::StackName", "AWS::Region", "AWS::AccountId"}
# Parameters of Elastic Beanstalk's stack that a Ref may name: the environment's name, as the
# developer guide's sample configuration files use it.
EB_PARAMETERS = {"AWSEBEnvironmentName"}
# The options a resource may read with Fn::GetOptionSetting, each as the option reference
# documents it: aws:ec2:vpc Subnets ("a single comma-delimited string"), aws:elbv2:loadbalancer
# IdleTimeout (seconds, 1 to 3600).
OPTIONS_READ = {("aws:ec2:vpc", "Subnets"), ("aws:elbv2:loadbalancer", "IdleTimeout")}
# Custom options (developer guide, "Custom options"), read with a DefaultValue, since nothing
# may set them: where alarms go, and the cost guard's threshold (06-alarms.config).
CUSTOM_OPTIONS = {"AlarmEmail", "CostGuardUnitsPerHour"}
OPTIONS_READ |= {("aws:elasticbeanstalk:customoption", name) for name in CUSTOM_OPTIONS}
# Elastic Beanstalk's "Functions" page: Ref, Fn::GetAtt, Fn::Join and Fn::GetOptionSetting;
# the rest of the template is CloudFormation's, which evaluates Fn::Split.
FUNCTIONS = {"Ref", "Fn::GetAtt", "Fn::Join", "Fn::GetOptionSetting", "Fn::Split"}
# Where a serverless Valkey (or Redis OSS) cache's endpoint listens (ElastiCache User Guide,
# serverless caches: 6379, and 6380 for its reader endpoint).
SERVERLESS_PORT = 6379


class TolerantLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!GetAtt a.b) read as long forms, and noted."""

    tags: list[str]


def _short_form(loader: TolerantLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    loader.tags.append(f"!{suffix}")
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


TolerantLoader.add_multi_constructor("!", _short_form)


def load(text: str) -> tuple[dict[str, Any], list[str]]:
    """Parse one .ebextensions file; return it and the short-form tags it used."""
    loader = TolerantLoader(text)
    loader.tags = []
    try:
        return loader.get_single_data() or {}, loader.tags
    finally:
        loader.dispose()


def bundle_configs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Every .ebextensions file of a bundle built with --certificate-arn (so: all of them)."""
    code, _, err = run(capsys, "--certificate-arn", ARN, "--output", str(tmp_path / "a.zip"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        return {n: zf.read(n).decode() for n in zf.namelist() if n.startswith(".ebextensions/")}


@pytest.fixture
def configs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    parsed = {}
    for name, text in bundle_configs(tmp_path, capsys).items():
        doc, tags = load(text)
        # Elastic Beanstalk reads configuration files as plain YAML (or JSON), and refuses
        # CloudFormation's short forms ("could not determine a constructor for the tag").
        assert not tags, f"{name} uses {tags}: write Fn::GetAtt, Ref ... in long form"
        parsed[name] = doc
    return parsed


def resources_of(configs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, doc in sorted(configs.items()):
        for logical, resource in (doc.get("Resources") or {}).items():
            assert logical not in found, f"{logical} is defined twice ({name})"
            found[logical] = resource
    return found


def environment(configs: dict[str, dict[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for _, doc in sorted(configs.items()):
        options = doc.get("option_settings") or {}
        found |= options.get("aws:elasticbeanstalk:application:environment", {})
    return found


def functions(value: Any) -> list[tuple[str, Any]]:
    """Every intrinsic function in `value`, outermost first, as (name, argument)."""
    if isinstance(value, list):
        return [f for item in value for f in functions(item)]
    if not isinstance(value, dict):
        return []
    if len(value) == 1 and (key := next(iter(value))) in FUNCTIONS | {"Fn::Sub", "Fn::If"}:
        return [(key, value[key]), *functions(value[key])]
    return [f for item in value.values() for f in functions(item)]


def backtick_function(value: str) -> Any:
    """An option value that is one function between backticks, as Elastic Beanstalk takes it."""
    match = re.fullmatch(r"`(\{.*\})`", value, flags=re.DOTALL)
    assert match, f"not one function between backticks: {value!r}"
    return json.loads(match.group(1))


def evaluate(value: Any, attributes: dict[tuple[str, str], str]) -> Any:
    """Work out Fn::Join and Fn::GetAtt as CloudFormation would, given the attributes' values."""
    if isinstance(value, dict) and list(value) == ["Fn::GetAtt"]:
        return attributes[tuple(value["Fn::GetAtt"])]
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        separator, parts = value["Fn::Join"]
        return separator.join(evaluate(part, attributes) for part in parts)
    assert isinstance(value, str), value
    return value


def nested(kind: str, props: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(property type, value) for each nested property type in NESTED that `props` holds."""
    if kind == "AWS::EC2::SecurityGroup":
        return [
            (key, rule)
            for key in ("SecurityGroupIngress", "SecurityGroupEgress")
            for rule in props.get(key, [])
        ]
    if kind == "AWS::ElastiCache::ServerlessCache" and "CacheUsageLimits" in props:
        limits = props["CacheUsageLimits"]
        return [("CacheUsageLimits", limits)] + [
            (key, limits[key]) for key in ("DataStorage", "ECPUPerSecond") if key in limits
        ]
    if kind == "AWS::CloudWatch::Alarm":
        queries = props.get("Metrics", [])
        stats = [q["MetricStat"] for q in queries if "MetricStat" in q]
        return (
            [("MetricDataQuery", q) for q in queries]
            + [("MetricStat", m) for m in stats]
            + [("Metric", m["Metric"]) for m in stats]
            + [("Dimension", d) for m in stats for d in m["Metric"].get("Dimensions", [])]
            + [("Dimension", d) for d in props.get("Dimensions", [])]
        )
    return []


def stand_in_options(value: Any) -> Any:
    """`value` with each Fn::GetOptionSetting that has a DefaultValue replaced by it."""
    if isinstance(value, list):
        return [stand_in_options(item) for item in value]
    if not isinstance(value, dict):
        return value
    if list(value) == ["Fn::GetOptionSetting"] and "DefaultValue" in value["Fn::GetOptionSetting"]:
        return value["Fn::GetOptionSetting"]["DefaultValue"]
    return {key: stand_in_options(item) for key, item in value.items()}


def test_every_resource_is_a_documented_type_with_documented_properties(
    configs: dict[str, dict[str, Any]],
) -> None:
    resources = resources_of(configs)
    assert {"PushCache", "PushCacheSecurityGroup", "AWSEBV2LoadBalancerListener"} <= set(resources)
    for logical, resource in resources.items():
        assert set(resource) <= {"Type", "Properties", "DependsOn", "DeletionPolicy"}, logical
        kind = resource["Type"]
        assert kind in PROPERTIES, f"{logical}: {kind} is not a type this test knows"
        props = resource.get("Properties", {})
        assert set(props) <= PROPERTIES[kind], (logical, set(props) - PROPERTIES[kind])
        for name, value in nested(kind, props):
            assert set(value) <= NESTED[name], (logical, name, set(value) - NESTED[name])


def test_every_function_is_documented_and_names_what_exists(
    configs: dict[str, dict[str, Any]],
) -> None:
    resources = resources_of(configs)
    types = {name: r["Type"] for name, r in resources.items()} | EB_RESOURCES
    values = [r.get("Properties", {}) for r in resources.values()]
    values += [backtick_function(v) for v in environment(configs).values() if v.startswith("`")]
    seen = set()
    for name, argument in functions(values):
        assert name in FUNCTIONS, f"{name}: not a function Elastic Beanstalk documents"
        seen.add(name)
        if name == "Ref":
            assert argument in types or argument in PSEUDO | EB_PARAMETERS, argument
        elif name == "Fn::GetAtt":
            logical, attribute = argument
            assert attribute in ATTRIBUTES[types[logical]], (logical, attribute)
        elif name == "Fn::GetOptionSetting":
            assert set(argument) <= {"Namespace", "OptionName", "DefaultValue"}, argument
            assert (argument["Namespace"], argument["OptionName"]) in OPTIONS_READ, argument
            if argument["Namespace"] == "aws:elasticbeanstalk:customoption":
                assert argument.get("DefaultValue"), argument
    assert {"Ref", "Fn::GetAtt", "Fn::Join"} <= seen


def test_the_cache_is_serverless_valkey_behind_its_own_security_group(
    configs: dict[str, dict[str, Any]],
) -> None:
    resources = resources_of(configs)
    cache = resources["PushCache"]["Properties"]
    assert resources["PushCache"]["Type"] == "AWS::ElastiCache::ServerlessCache"
    assert cache["Engine"] == "valkey"
    assert cache["SecurityGroupIds"] == [{"Fn::GetAtt": ["PushCacheSecurityGroup", "GroupId"]}]
    # In the environment's own subnets: the instances' ones, comma-separated in the option.
    assert cache["SubnetIds"] == {
        "Fn::Split": [
            ",",
            {"Fn::GetOptionSetting": {"Namespace": "aws:ec2:vpc", "OptionName": "Subnets"}},
        ]
    }
    limits = cache["CacheUsageLimits"]
    assert limits["DataStorage"]["Unit"] == "GB" and limits["ECPUPerSecond"]["Maximum"] > 0

    group = resources["PushCacheSecurityGroup"]
    assert group["Type"] == "AWS::EC2::SecurityGroup"
    props = group["Properties"]
    assert props["VpcId"] == {"Fn::GetAtt": ["AWSEBSecurityGroup", "VpcId"]}  # the instances'
    # In: the cache's port, from the instances' security group, and nothing else.
    (rule,) = props["SecurityGroupIngress"]
    assert rule["IpProtocol"] == "tcp"
    assert rule["FromPort"] == rule["ToPort"] == SERVERLESS_PORT
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": ["AWSEBSecurityGroup", "GroupId"]}
    assert not {"CidrIp", "CidrIpv6", "SourcePrefixListId"} & set(rule)
    # Out: nothing but loopback, which replaces the default allow-all rule.
    (egress,) = props["SecurityGroupEgress"]
    assert egress == {"IpProtocol": "-1", "CidrIp": "127.0.0.1/32", "Description": "nothing out"}


def test_the_push_url_is_the_caches_endpoint_over_tls(
    configs: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    value = environment(configs)[PUSH_URL_ENV]
    built = backtick_function(value)
    host = "push-abc123.serverless.usw2.cache.amazonaws.com"
    attributes = {
        ("PushCache", "Endpoint.Address"): host,
        ("PushCache", "Endpoint.Port"): str(SERVERLESS_PORT),
    }
    url = evaluate(built, attributes)
    assert url == f"rediss://{host}:{SERVERLESS_PORT}/0"
    used = {tuple(arg) for name, arg in functions(built) if name == "Fn::GetAtt"}
    assert used == set(attributes)  # the endpoint of the cache, nothing hard-wired
    # The app takes it, and it wins over the file (beanstalk.toml names no bus).
    monkeypatch.setenv(PUSH_URL_ENV, url)
    assert parse(ROOT / "beanstalk.toml").push_url == url


def test_the_load_balancer_and_nginx_outwait_the_heartbeat(
    configs: dict[str, dict[str, Any]],
) -> None:
    options: dict[str, dict[str, str]] = {}
    for _, doc in sorted(configs.items()):
        for namespace, values in (doc.get("option_settings") or {}).items():
            options.setdefault(namespace, {}).update(values)
    idle = int(options["aws:elbv2:loadbalancer"]["IdleTimeout"])
    assert 1 <= idle <= 3600  # the option reference's range
    streams = ROOT / ".platform" / "nginx" / "conf.d" / "elasticbeanstalk" / "streams.conf"
    (read,) = re.findall(r"^\s*proxy_read_timeout\s+(\d+)s;", streams.read_text(), re.MULTILINE)
    # Two heartbeats may go missing and the stream still stands.
    assert idle >= 3 * HEARTBEAT and int(read) >= 3 * HEARTBEAT
    delay = int(options["aws:elasticbeanstalk:environment:process:default"]["DeregistrationDelay"])
    assert 0 < delay <= 60


def test_cloudformations_own_schemas_accept_the_resources(
    configs: dict[str, dict[str, Any]],
) -> None:
    from cfnlint.api import ManualArgs, lint  # comes with moto[server] (requirements-dev.txt)

    resources = resources_of(configs)
    subnets = {"Fn::GetOptionSetting": {"Namespace": "aws:ec2:vpc", "OptionName": "Subnets"}}
    text = json.dumps(resources).replace(json.dumps(subnets), '"subnet-0a1b2c3d,subnet-4e5f6a7b"')
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        # Elastic Beanstalk's stack has the environment's name as a parameter.
        "Parameters": {name: {"Type": "String"} for name in EB_PARAMETERS},
        "Resources": stand_in_options(json.loads(text))
        | {
            # Stand-ins for what Elastic Beanstalk puts in the stack.
            "AWSEBSecurityGroup": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "instances", "VpcId": "vpc-0a1b2c3d"},
            },
            "AWSEBV2LoadBalancer": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]},
            },
        },
        "Outputs": {"PushUrl": {"Value": backtick_function(environment(configs)[PUSH_URL_ENV])}},
    }
    found = lint(json.dumps(template), config=ManualArgs(regions=["us-west-2"]))
    assert [(m.rule.id, m.message, m.path) for m in found if m.rule.severity == "error"] == []
