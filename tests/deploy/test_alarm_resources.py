"""The alarms, the topic and the dashboard of .ebextensions/06-alarms.config, checked offline.

tests/deploy/test_push_resources.py checks their types, properties and functions against the
CloudFormation reference and runs cfn-lint over them with the rest. This file checks that they
watch what exists: every TicTacToe metric an alarm or the dashboard names, with its
dimensions, is one the app really writes (lines it wrote while a game was played, read back
from its metrics file); every DynamoDB table named is one of beanstalk.toml's; every alarm
tells the one topic, which mails AlarmEmail; and the CloudWatch agent ships the file the app
writes to the log group the bundle creates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from tests.adapters.test_metrics import emitted, play_with_the_bus_down, read
from tests.deploy.test_push_resources import backtick_function, load
from tests.support import ROOT
from tictactoe.adapters import metrics
from tictactoe.config import parse

ENVIRONMENT = "Tictactoe-env"  # what Ref AWSEBEnvironmentName gives, in these checks
REGION = "us-west-2"
ENV_REF = {"Ref": "AWSEBEnvironmentName"}
# DynamoDB developer guide, "DynamoDB Metrics and dimensions": the metrics named here, with the
# dimensions each is published with.
DYNAMODB = {
    "ConsumedReadCapacityUnits": {"TableName"},
    "ConsumedWriteCapacityUnits": {"TableName"},
    "ThrottledRequests": {"TableName", "Operation"},
    "SystemErrors": {"TableName", "Operation"},
}
# Elastic Beanstalk developer guide, "Publishing Amazon CloudWatch custom metrics for an
# environment": EnvironmentHealth, per EnvironmentName, free with enhanced health.
BEANSTALK = {"EnvironmentHealth": {"EnvironmentName"}}
INSIGHTS = re.compile(
    r'SELECT SUM\((\w+)\) FROM SCHEMA\("AWS/DynamoDB", TableName, Operation\) '
    r"WHERE TableName = '([\w.-]+)'"
)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    doc, tags = load((ROOT / ".ebextensions" / "06-alarms.config").read_text())
    assert not tags  # long forms only: Elastic Beanstalk refuses !Ref and the like
    return doc


@pytest.fixture
def written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> set[tuple[str, str, frozenset[str]]]:
    """(namespace, metric, dimensions) of every line the app wrote: a game, then a minute."""
    path = tmp_path / "metrics.log"
    monkeypatch.setenv(metrics.FILE_ENV, str(path))
    try:
        with mock_aws():
            play_with_the_bus_down(monkeypatch)
        metrics.report()
    finally:
        monkeypatch.delenv(metrics.FILE_ENV)
        metrics.configure()
    return emitted(read(path))


def alarms(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: r["Properties"]
        for name, r in config["Resources"].items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def tables() -> set[str]:
    production = parse(ROOT / "beanstalk.toml")
    return {production.games_table, production.users_table, production.avatars_table}


def watched(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric, dimensions as name -> value) of each metric an alarm reads."""
    if "MetricName" in alarm:
        dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        return [(alarm["Namespace"], alarm["MetricName"], dims)]
    found = []
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append((metric["Namespace"], metric["MetricName"], dims))
        elif match := INSIGHTS.fullmatch(query["Expression"]):
            name, table = match.groups()
            found.append(("AWS/DynamoDB", name, {"TableName": table, "Operation": "*"}))
    return found


def check_metric(
    namespace: str, name: str, dims: dict[str, Any], written: set[Any], env: Any = ENV_REF
) -> None:
    """Fail unless the metric is one the app, DynamoDB or Elastic Beanstalk publishes."""
    if namespace == metrics.NAMESPACE:
        assert (namespace, name, frozenset(dims)) in written, (name, dims)
        assert dims[metrics.ENVIRONMENT] == env
    elif namespace == "AWS/DynamoDB":
        assert set(dims) == DYNAMODB[name] and dims["TableName"] in tables(), (name, dims)
    else:
        assert namespace == "AWS/ElasticBeanstalk" and set(dims) == BEANSTALK[name], name
        assert dims["EnvironmentName"] == env


def test_every_alarm_watches_a_metric_that_is_written_and_tells_the_topic(
    config: dict[str, Any], written: set[Any]
) -> None:
    found = alarms(config)
    assert len(found) >= 5  # the issue's "at least five"
    for name, alarm in found.items():
        queries = watched(alarm)
        assert queries, name
        for namespace, metric, dims in queries:
            check_metric(namespace, metric, dims, written)
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}], name
        # Unique per environment: two environments in one account keep their own alarms.
        assert alarm["AlarmName"]["Fn::Join"][1][0] == ENV_REF, name


def test_the_alarms_cover_what_the_issue_asks(config: dict[str, Any]) -> None:
    read_metrics = {
        (ns, m, dims.get("TableName"))
        for a in alarms(config).values()
        for ns, m, dims in watched(a)
    }
    for metric in ("ServerErrors", "Latency", "BusDown"):
        assert (metrics.NAMESPACE, metric, None) in read_metrics
    assert ("AWS/ElasticBeanstalk", "EnvironmentHealth", None) in read_metrics
    for table in tables():  # throttling and system errors, table by table
        assert ("AWS/DynamoDB", "ThrottledRequests", table) in read_metrics
        assert ("AWS/DynamoDB", "SystemErrors", table) in read_metrics
    cost = alarms(config)["CostGuardAlarm"]
    assert {(m, d["TableName"]) for _, m, d in watched(cost)} == {
        (m, t)
        for m in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")
        for t in tables()
    }
    threshold = cost["Threshold"]["Fn::GetOptionSetting"]
    assert threshold["OptionName"] == "CostGuardUnitsPerHour"
    assert float(threshold["DefaultValue"]) > 0
    latency = alarms(config)["LatencyAlarm"]
    assert latency["ExtendedStatistic"] == "p99" and latency["Unit"] == "Milliseconds"
    health = alarms(config)["EnvironmentHealthAlarm"]  # 20: Degraded, 25: Severe
    assert health["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert health["Threshold"] == 20


def test_one_topic_mails_the_alarm_email(config: dict[str, Any]) -> None:
    resources = config["Resources"]
    topics = [n for n, r in resources.items() if r["Type"] == "AWS::SNS::Topic"]
    assert topics == ["AlarmTopic"]
    (subscription,) = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"
    ]
    assert subscription["TopicArn"] == {"Ref": "AlarmTopic"}
    assert subscription["Protocol"] == "email"
    option = subscription["Endpoint"]["Fn::GetOptionSetting"]
    assert (option["Namespace"], option["OptionName"]) == (
        "aws:elasticbeanstalk:customoption",
        "AlarmEmail",
    )
    # Without --alarm-email: an address that can never receive mail (RFC 2606's .invalid).
    assert option["DefaultValue"].endswith(".invalid")


def dashboard_body(config: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON as CloudFormation would join it for ENVIRONMENT in REGION."""
    separator, parts = config["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Join"]
    values = {"AWSEBEnvironmentName": ENVIRONMENT, "AWS::Region": REGION}
    return json.loads(separator.join(p if isinstance(p, str) else values[p["Ref"]] for p in parts))


def test_the_dashboard_shows_every_metric_and_only_written_ones(
    config: dict[str, Any], written: set[Any]
) -> None:
    shown: set[str] = set()
    searches: list[str] = []
    for widget in dashboard_body(config)["widgets"]:
        properties = widget["properties"]
        assert widget["type"] == "metric" and properties["region"] == REGION
        for row in properties["metrics"]:
            fields = [f for f in row if not isinstance(f, dict)]
            if not fields:  # an expression row
                searches += re.findall(r"SEARCH\('([^']*)'", row[0]["expression"])
                continue
            namespace, name, *pairs = fields
            dims = dict(zip(pairs[::2], pairs[1::2], strict=True))
            check_metric(namespace, name, dims, written, env=ENVIRONMENT)
            shown.add(name)
    requests = f'{{TicTacToe,Environment,Route,StatusClass}} MetricName="Requests" Environment="{ENVIRONMENT}"'  # noqa: E501
    assert requests in searches
    assert (metrics.NAMESPACE, "Requests", frozenset({"Environment", "Route", "StatusClass"})) in (
        written
    )
    assert any("ThrottledRequests" in s and "SystemErrors" in s for s in searches)
    assert shown >= {
        "Latency",
        "ServerErrors",
        "ReadUnits",
        "WriteUnits",
        "GamesStarted",
        "GamesFinished",
        "Moves",
        "OpenStreams",
        "NoticesDropped",
        "BusOutages",
        "BusDown",
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
        "EnvironmentHealth",
    }


def test_the_agent_ships_the_apps_file_to_the_bundles_log_group(config: dict[str, Any]) -> None:
    environment = config["option_settings"]["aws:elasticbeanstalk:application:environment"]
    assert backtick_function(environment[metrics.ENVIRONMENT_ENV]) == ENV_REF
    agent_file = config["files"]["/opt/aws/amazon-cloudwatch-agent/etc/tictactoe-metrics.json"]
    # The group's name is one function between backticks, resolved by Elastic Beanstalk.
    text = agent_file["content"]
    function = re.search(r'"log_group_name": "`(\{.*\})`"', text)
    assert function, text
    agent = json.loads(text.replace(function.group(0), '"log_group_name": "GROUP"'))
    (collected,) = agent["logs"]["logs_collected"]["files"]["collect_list"]
    assert collected["file_path"] == environment[metrics.FILE_ENV]
    group = config["Resources"]["MetricsLogGroup"]["Properties"]
    assert json.loads(function.group(1)) == group["LogGroupName"]
    # AWSElasticBeanstalkWebTier lets the instances write to /aws/elasticbeanstalk* groups.
    assert group["LogGroupName"]["Fn::Join"][1][0].startswith("/aws/elasticbeanstalk")
    commands = " ".join(c["command"] for c in config["container_commands"].values())
    assert "append-config" in commands and "file:/opt/aws/amazon-cloudwatch-agent/etc/" in commands
    folder = str(Path(collected["file_path"]).parent)  # made for the app's user to write in
    assert f"install -d -o webapp -g webapp -m 0755 {folder}" in commands


def test_health_streams_to_cloudwatch_logs() -> None:
    doc, _ = load((ROOT / ".ebextensions" / "03-operations.config").read_text())
    health = doc["option_settings"]["aws:elasticbeanstalk:cloudwatch:logs:health"]
    assert health["HealthStreamingEnabled"] == "true"
    assert doc["option_settings"]["aws:elasticbeanstalk:healthreporting:system"] == {
        "SystemType": "enhanced"
    }
