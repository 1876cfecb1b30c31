"""scripts/bundle.py --certificate-arn and --no-secret: the generated .ebextensions checked
against the documented option namespaces, the bundled config, the warnings and refusals."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_bundle import SECRET, printed, run
from tests.support import ROOT
from tictactoe.config import parse

ARN = "arn:aws:acm:us-west-2:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef"

# The Elastic Beanstalk option reference ("General options for all environments"): each
# namespace the bundle may set, with the option names documented for it.
DOCUMENTED = {
    "aws:elasticbeanstalk:application:environment": None,  # any environment property
    "aws:elasticbeanstalk:environment": {"LoadBalancerType"},
    # Any URL path, each mapped to a folder of the bundle.
    "aws:elasticbeanstalk:environment:proxy:staticfiles": None,
    "aws:elasticbeanstalk:environment:process:default": {
        "HealthCheckPath",
        "MatcherHTTPCode",
        "HealthCheckInterval",
        "HealthCheckTimeout",
        "HealthyThresholdCount",
        "UnhealthyThresholdCount",
        "DeregistrationDelay",
    },
    # aws:elbv2:listener:listener_port, and :default for the port 80 listener
    "aws:elbv2:listener": {
        "DefaultProcess",
        "ListenerEnabled",
        "Protocol",
        "Rules",
        "SSLCertificateArns",
        "SSLPolicy",
    },
    # aws:elbv2:listenerrule:rule_name
    "aws:elbv2:listenerrule": {"HostHeaders", "PathPatterns", "Priority", "Process"},
    "aws:elbv2:loadbalancer": {
        "AccessLogsS3Bucket",
        "AccessLogsS3Enabled",
        "AccessLogsS3Prefix",
        "IdleTimeout",
        "ManagedSecurityGroup",
        "SecurityGroups",
    },
    "aws:elasticbeanstalk:cloudwatch:logs": {"StreamLogs", "DeleteOnTerminate", "RetentionInDays"},
    # 05-deploy.config: the deployment policy
    "aws:elasticbeanstalk:command": {
        "DeploymentPolicy",
        "Timeout",
        "BatchSizeType",
        "BatchSize",
        "IgnoreHealthCheck",
    },
    "aws:elasticbeanstalk:cloudwatch:logs:health": {
        "HealthStreamingEnabled",
        "DeleteOnTerminate",
        "RetentionInDays",
    },
    "aws:elasticbeanstalk:healthreporting:system": {
        "SystemType",
        "ConfigDocument",
        "HealthCheckSuccessThreshold",
    },
    "aws:autoscaling:asg": {
        "Availability Zones",
        "Cooldown",
        "Custom Availability Zones",
        "MinSize",
        "MaxSize",
    },
    "aws:autoscaling:trigger": {
        "BreachDuration",
        "LowerBreachScaleIncrement",
        "LowerThreshold",
        "MeasureName",
        "Period",
        "EvaluationPeriods",
        "Statistic",
        "Unit",
        "UpperBreachScaleIncrement",
        "UpperThreshold",
    },
    # 07-upkeep.config (managed platform updates, IMDSv2)
    "aws:elasticbeanstalk:managedactions": {
        "ManagedActionsEnabled",
        "PreferredStartTime",
        "ServiceRoleForManagedUpdates",
    },
    "aws:elasticbeanstalk:managedactions:platformupdate": {
        "UpdateLevel",
        "InstanceRefreshEnabled",
    },
    "aws:autoscaling:launchconfiguration": {
        "BlockDeviceMappings",
        "DisableDefaultEC2SecurityGroup",
        "DisableIMDSv1",
        "EC2KeyName",
        "IamInstanceProfile",
        "ImageId",
        "InstanceType",
        "MonitoringInterval",
        "RootVolumeIOPS",
        "RootVolumeSize",
        "RootVolumeThroughput",
        "RootVolumeType",
        "SecurityGroups",
        "SSHSourceRestriction",
    },
}
# scripts/bundle.py --upload's generated 90-account.config: the network ("General options for
# all environments", aws:ec2:vpc) and the alarms' address (developer guide, "Custom options":
# any name).
DOCUMENTED["aws:ec2:vpc"] = {
    "VPCId",
    "Subnets",
    "ELBSubnets",
    "ELBScheme",
    "AssociatePublicIpAddress",
    "DBSubnets",
}
DOCUMENTED["aws:elasticbeanstalk:customoption"] = None
# The retention periods the option reference allows for RetentionInDays.
RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653}


def documented(namespace: str) -> set[str] | None:
    """Return the options documented for `namespace` (None: any name); fail if it is not."""
    if namespace in DOCUMENTED:
        return DOCUMENTED[namespace]
    family, _, name = namespace.rpartition(":")
    assert family in ("aws:elbv2:listener", "aws:elbv2:listenerrule"), namespace
    assert name == "default" or name.isdigit() or family.endswith("rule"), namespace
    return DOCUMENTED[family]


def unzip(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name).decode() for name in zf.namelist()}


def ebextensions(files: dict[str, str]) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """Merge every .ebextensions/*.config of the zip: option settings, and resources."""
    options: dict[str, dict[str, str]] = {}
    resources: dict[str, Any] = {}
    for name in sorted(n for n in files if n.startswith(".ebextensions/")):
        assert name.endswith(".config")
        doc = yaml.safe_load(files[name])
        for namespace, values in doc.get("option_settings", {}).items():
            options.setdefault(namespace, {}).update(values)
        resources |= doc.get("Resources", {})
    return options, resources


@pytest.fixture
def https_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, str], str]:
    code, out, err = run(capsys, "--certificate-arn", ARN, "--output", str(tmp_path / "a.zip"))
    assert code == 0, err
    assert "unencrypted" not in err
    return unzip(tmp_path / "a.zip"), out


def test_the_certificate_adds_an_https_listener_in_documented_options(
    https_zip: tuple[dict[str, str], str],
) -> None:
    files, out = https_zip
    assert ".ebextensions/02-https.config" in files
    assert not (ROOT / ".ebextensions" / "02-https.config").exists()  # in the zip only
    options, _ = ebextensions(files)
    for namespace, values in options.items():
        allowed = documented(namespace)
        assert allowed is None or set(values) <= allowed, (namespace, values)
        assert all(isinstance(v, str) for v in values.values()), namespace
    assert options["aws:elbv2:listener:443"] == {
        "ListenerEnabled": "true",
        "Protocol": "HTTPS",
        "SSLCertificateArns": ARN,
        "SSLPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    }
    assert options["aws:elasticbeanstalk:environment"]["LoadBalancerType"] == "application"
    assert ARN in printed(out, "https")


def test_http_is_redirected_except_the_health_check_path(
    https_zip: tuple[dict[str, str], str],
) -> None:
    options, resources = ebextensions(https_zip[0])
    # Port 80 keeps one rule, forwarding the health check path to the app.
    rules = options["aws:elbv2:listener:default"]["Rules"].split(",")
    assert [options[f"aws:elbv2:listenerrule:{r}"] for r in rules] == [
        {
            "PathPatterns": options["aws:elasticbeanstalk:environment:process:default"][
                "HealthCheckPath"
            ],
            "Priority": "1",
            "Process": "default",
        }
    ]
    # Everything else: the port 80 listener's default action, a 301 to HTTPS. The HTTPS file adds
    # that one resource; the others come from the files every bundle has (the push cache, the
    # alarms, the load balancer's attributes: tests/deploy/test_push_resources.py and
    # test_upkeep.py).
    https_only = yaml.safe_load(https_zip[0][".ebextensions/02-https.config"])["Resources"]
    assert set(https_only) == {"AWSEBV2LoadBalancerListener"}
    assert resources["AWSEBV2LoadBalancerListener"] == https_only["AWSEBV2LoadBalancerListener"]
    listener = resources["AWSEBV2LoadBalancerListener"]  # the name Elastic Beanstalk gives it
    assert listener["Type"] == "AWS::ElasticLoadBalancingV2::Listener"
    props = listener["Properties"]
    assert (props["Port"], props["Protocol"]) == (80, "HTTP")
    assert props["LoadBalancerArn"] == {"Ref": "AWSEBV2LoadBalancer"}
    (action,) = props["DefaultActions"]
    assert action["Type"] == "redirect"
    assert action["RedirectConfig"] == {
        "Protocol": "HTTPS",
        "Port": "443",
        "Host": "#{host}",
        "Path": "/#{path}",
        "Query": "#{query}",
        "StatusCode": "HTTP_301",
    }


def test_the_certificate_turns_on_force_https_under_the_existing_flask_table(
    https_zip: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    text = https_zip[0]["beanstalk.toml"]
    assert re.findall(r"^\[flask\]", text, flags=re.MULTILINE) == ["[flask]"]  # the file's own
    (tmp_path / "bundled.toml").write_text(text)
    bundled = parse(tmp_path / "bundled.toml")
    assert bundled.force_https and bundled.trusted_proxies == 2
    assert bundled.secret_key and len(bundled.secret_key) >= 48
    assert not parse(ROOT / "beanstalk.toml").force_https  # the repository file is unchanged


def test_without_a_certificate_one_warning_says_passwords_travel_in_clear(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"))
    assert code == 0
    (warning,) = [line for line in err.splitlines() if "unencrypted" in line]
    assert "passwords" in warning and "--certificate-arn" in warning
    files = unzip(tmp_path / "a.zip")
    assert ".ebextensions/02-https.config" not in files
    assert "force_https =" not in files["beanstalk.toml"]


def test_the_same_certificate_and_secret_give_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", SECRET)
    for name in ("one.zip", "two.zip"):
        args = ("--secret-from-env", "--certificate-arn", ARN, "--output", str(tmp_path / name))
        assert run(capsys, *args)[0] == 0
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ["--certificate-arn", ARN.replace("us-west-2", "us-east-1")],
            "the certificate is in us-east-1, the environment in us-west-2",
        ),
        (
            ["--certificate-arn", "arn:aws:iam::123456789012:server-certificate/x"],
            "wants an ACM certificate ARN",
        ),
        (
            ["--certificate-arn", ARN, "--environment-type", "SingleInstance"],
            "a SingleInstance environment has none",
        ),
        (["--no-secret", "--secret-from-env"], "not both"),
    ],
)
def test_an_unusable_certificate_or_option_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, _, err = run(capsys, *args, "--output", str(tmp_path / "a.zip"))
    assert code == 2 and reason in err
    assert not (tmp_path / "a.zip").exists()


def test_no_secret_builds_a_bundle_without_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--no-secret", "--certificate-arn", ARN, "--output", str(tmp_path / "a.zip")
    )
    assert code == 0
    assert "TICTACTOE_SECRET_KEY must hold it" in printed(out, "secret")
    text = unzip(tmp_path / "a.zip")["beanstalk.toml"]
    (tmp_path / "bundled.toml").write_text(text)
    bundled = parse(tmp_path / "bundled.toml")
    assert bundled.secret_key is None and bundled.previous_secret_keys == ()
    assert bundled.force_https and "secret_key =" not in text


@pytest.mark.parametrize(
    ("flask", "args", "reason"),
    [
        (f'secret_key = "{SECRET}"', ["--no-secret"], "promises a bundle without one"),
        (
            f'previous_secret_keys = ["{SECRET}"]',
            ["--no-secret"],
            "move them to the TICTACTOE_PREVIOUS_SECRET_KEYS environment property",
        ),
        (
            "force_https = false\ntrusted_proxies = 2",
            ["--certificate-arn", ARN],
            "sets [flask].force_https = false; remove it or drop --certificate-arn",
        ),
        (
            "trusted_proxies = 0",
            ["--certificate-arn", ARN],
            "--certificate-arn needs [flask].trusted_proxies",
        ),
    ],
)
def test_a_config_that_contradicts_the_options_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flask: str,
    args: list[str],
    reason: str,
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[dynamodb]\nregion = "us-west-2"\n\n[flask]\n{flask}\n')
    code, _, err = run(capsys, "--config", str(config), *args, "--output", str(tmp_path / "a.zip"))
    assert code == 2 and reason in err and str(config) in err


def test_force_https_without_a_certificate_warns_that_nothing_answers_https(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[dynamodb]\nregion = "us-west-2"\n[flask]\nforce_https = true\n')
    code, _, err = run(capsys, "--config", str(config), "--output", str(tmp_path / "a.zip"))
    assert code == 0
    assert "adds no HTTPS listener" in err and "unencrypted" not in err


def test_a_config_naming_an_ssm_parameter_gets_no_key_in_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[dynamodb]\nregion = "us-west-2"\n[flask]\n'
        'secret_key_parameter = "/tictactoe/secret-key"\n'
    )
    code, out, _ = run(capsys, "--config", str(config), "--output", str(tmp_path / "a.zip"))
    assert code == 0
    assert "read at start-up from the SSM parameter /tictactoe/secret-key" in out
    assert "secret_key =" not in unzip(tmp_path / "a.zip")["beanstalk.toml"]
