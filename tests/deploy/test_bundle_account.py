"""scripts/bundle.py --upload's account steps, against moto's server as the AWS account.

boto3 honours AWS_ENDPOINT_URL, so the script runs unchanged: the first run creates the
instance role and profile, the session key's parameter and the bundle's network options; a
second run with the same arguments creates nothing and changes no parameter; what exists
already (a key, a role with another policy) is kept and, where it differs, reported.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from devstack import moto_server, processes
from tests.conftest import unique
from tests.deploy.test_bundle import part, printed, run
from tests.deploy.test_bundle_https import documented, ebextensions, unzip
from tests.support import ROOT
from tictactoe.config import parse

ACCOUNT = "123456789012"  # moto's
REGION = "us-west-2"  # beanstalk.toml's
ROLE = "tictactoe-ec2"
PARAMETER = "/tictactoe/tictactoe/secret-key"
RELEASE = "s3://releases/tictactoe/v1.zip"


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server as the account, with a release bucket; it knows AWS's managed policies
    (the role attaches one). One for the module: each test uses names of its own."""
    home = tmp_path_factory.mktemp("moto")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        port = processes.free_port()
        server = moto_server.start(port, home / "moto.log")
    try:
        url = f"http://127.0.0.1:{port}"
        s3 = boto3.client(
            "s3",
            region_name=REGION,
            endpoint_url=url,
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        s3.create_bucket(
            Bucket="releases", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield url
    finally:
        processes.stop(server)


@pytest.fixture
def account(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Clients of the account, which bundle.py's own clients reach too (AWS_ENDPOINT_URL)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return {name: boto3.client(name, region_name=REGION) for name in ("iam", "ssm", "ec2")}


@pytest.fixture
def names() -> tuple[str, str, str]:
    """An application of this test's own: its name, role and session key's parameter."""
    application = unique("app")
    return application, f"{application}-ec2", f"/tictactoe/{application}/secret-key"


def upload(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[str, Path]:
    """Run bundle.py --upload as an operator does; return what it printed and the zip."""
    out_zip = tmp_path / "app.zip"
    code, out, err = run(capsys, "--output", str(out_zip), "--upload", RELEASE, *args)
    assert code == 0, err
    return out, out_zip


def own(names: tuple[str, str, str]) -> list[str]:
    """The arguments that make bundle.py use this test's application and role."""
    return ["--application-name", names[0], "--role", names[1]]


def key_value(ssm: Any, name: str) -> tuple[str, int]:
    found = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert found["Type"] == "SecureString"
    return found["Value"], found["Version"]


def role_policy(iam: Any, role: str) -> dict[str, Any]:
    return iam.get_role_policy(RoleName=role, PolicyName="tictactoe-app")["PolicyDocument"]


def missing(call: Any, **kwargs: Any) -> bool:
    """Whether the account has no such thing (a role, a profile, a parameter)."""
    try:
        call(**kwargs)
    except ClientError as err:
        return err.response["Error"]["Code"] in ("NoSuchEntity", "ParameterNotFound")
    return False


def default_subnets(ec2: Any) -> list[dict[str, Any]]:
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    return ec2.describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
            {"Name": "default-for-az", "Values": ["true"]},
        ]
    )["Subnets"]


def test_the_first_run_creates_everything_and_the_second_changes_nothing(
    account: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default names, as the README's command runs it."""
    iam, ssm = account["iam"], account["ssm"]
    out, first = upload(capsys, tmp_path, "--alarm-email", "ops@example.com")
    assert printed(out, "role").startswith(f"created {ROLE}")
    assert printed(out, "profile").startswith(f"created {ROLE}")
    assert printed(out, "key").startswith(f"created {PARAMETER}")
    # The role: EC2 may take it, with the app's policy pinned to this account, and the platform's.
    role = iam.get_role(RoleName=ROLE)["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    policy = role_policy(iam, ROLE)
    resources = [
        r
        for s in policy["Statement"]
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    assert not [r for r in resources if ":*:" in r]
    assert {s["Sid"] for s in policy["Statement"]} == {
        s["Sid"] for s in json.loads((ROOT / "iam" / "policy.json").read_text())["Statement"]
    }
    (key_grant,) = [s for s in policy["Statement"] if s["Sid"] == "SessionKey"]
    assert key_grant["Resource"] == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{PARAMETER}"
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSElasticBeanstalkWebTier"]
    profile = iam.get_instance_profile(InstanceProfileName=ROLE)["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [ROLE]
    key, version = key_value(ssm, PARAMETER)
    assert len(key) >= 48
    # The bundle names the key's parameter and holds no key.
    files = unzip(first)
    (tmp_path / "bundled.toml").write_text(files["beanstalk.toml"])
    bundled = parse(tmp_path / "bundled.toml")
    assert bundled.secret_key_parameter == PARAMETER and bundled.secret_key is None
    assert key not in "".join(files.values())

    again, _ = upload(capsys, tmp_path, "--alarm-email", "ops@example.com")
    for label in ("role", "profile", "key"):
        assert printed(again, label).startswith("exists"), again
    assert key_value(ssm, PARAMETER) == (key, version)  # not rewritten, not even the same value
    assert role_policy(iam, ROLE) == policy
    assert printed(again, "sha256") == printed(out, "sha256")  # the same release, byte for byte


def test_the_default_vpcs_subnets_and_the_alarm_address_land_in_the_bundle(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
) -> None:
    out, made = upload(capsys, tmp_path, *own(names), "--alarm-email", "ops@example.com")
    files = unzip(made)
    generated = files[".ebextensions/90-account.config"]
    assert not (ROOT / ".ebextensions" / "90-account.config").exists()  # in the zip only
    mine = yaml.safe_load(generated)["option_settings"]
    for namespace, values in mine.items():
        allowed = documented(namespace)
        assert allowed is None or set(values) <= allowed, (namespace, values)
        assert all(isinstance(v, str) for v in values.values()), namespace
    subnets = sorted(default_subnets(account["ec2"]), key=lambda s: s["AvailabilityZone"])[:3]
    expected = ",".join(s["SubnetId"] for s in subnets)
    vpc = mine["aws:ec2:vpc"]
    assert vpc == {
        "VPCId": subnets[0]["VpcId"],
        "Subnets": expected,
        "ELBSubnets": expected,
        "AssociatePublicIpAddress": "true",
    }
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2  # the push cache needs two
    # It sorts last, so its options win over any repository file's (Elastic Beanstalk applies
    # .ebextensions in alphabetical order), and the custom option reaches the alarms' file.
    options, _ = ebextensions(files)
    assert options["aws:ec2:vpc"] == vpc
    assert options["aws:elasticbeanstalk:customoption"]["AlarmEmail"] == "ops@example.com"
    assert sorted(n for n in files if n.startswith(".ebextensions/"))[-1].endswith(
        "90-account.config"
    )
    assert printed(out, "network").startswith(subnets[0]["VpcId"] + " (the default VPC)")


def test_an_existing_key_is_kept(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
) -> None:
    ssm, parameter = account["ssm"], names[2]
    ssm.put_parameter(Name=parameter, Type="SecureString", Value="mine-" + "k" * 40)
    out, _ = upload(capsys, tmp_path, *own(names))
    assert printed(out, "key").startswith(f"exists {parameter}")
    assert key_value(ssm, parameter) == ("mine-" + "k" * 40, 1)


def test_a_key_stored_as_plain_text_is_refused(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
) -> None:
    account["ssm"].put_parameter(Name=names[2], Type="String", Value="k" * 48)
    code, _, err = run(
        capsys, "--output", str(tmp_path / "a.zip"), "--upload", RELEASE, *own(names)
    )
    assert code == 2 and "is a String" in err and "SecureString" in err
    assert not (tmp_path / "a.zip").exists()
    assert account["ssm"].get_parameter(Name=names[2])["Parameter"]["Type"] == "String"


def test_a_role_whose_policy_differs_is_reported_and_left_alone(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
) -> None:
    iam, role = account["iam"], names[1]
    grant = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::old/*"}
    narrow = {"Version": "2012-10-17", "Statement": [grant]}
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ec2.amazonaws.com"},
            }
        ],
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=role, PolicyName="tictactoe-app", PolicyDocument=json.dumps(narrow)
    )
    out, _ = upload(capsys, tmp_path, *own(names))
    status = printed(out, "role")
    assert status.startswith("differs:") and "left as it is" in status
    assert "AWSElasticBeanstalkWebTier is not attached" in status
    assert role_policy(iam, role) == narrow  # never widened silently
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    # The difference, readable: what is there, what iam/policy.json would make it.
    lines = out.splitlines()
    assert '-      "Resource": "arn:aws:s3:::old/*"' in lines
    assert f'+      "Resource": "arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{names[2]}",' in lines
    # The printed commands work as they stand, and then the role agrees.
    (command,) = [line for line in lines if "aws iam put-role-policy" in line]
    document = Path(re.search(r"file://(\S+)", command)[1])  # type: ignore[index]
    assert f"--role-name {role} --policy-name tictactoe-app" in command
    iam.put_role_policy(
        RoleName=role, PolicyName="tictactoe-app", PolicyDocument=document.read_text()
    )
    (attach,) = [line for line in lines if "aws iam attach-role-policy" in line]
    iam.attach_role_policy(RoleName=role, PolicyArn=attach.split("--policy-arn ")[1])
    out, _ = upload(capsys, tmp_path, *own(names))
    assert printed(out, "role") == f"exists {role}"


def test_named_subnets_in_two_zones_are_used_as_given(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
) -> None:
    ec2 = account["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    out, made = upload(
        capsys,
        tmp_path,
        *own(names),
        "--vpc",
        vpc,
        "--subnets",
        ",".join(subnets),
        "--environment-type",
        "SingleInstance",
    )
    options = yaml.safe_load(unzip(made)[".ebextensions/90-account.config"])["option_settings"]
    # Private subnets (no public address on launch): none asked for; a single instance has no
    # load balancer to place.
    assert options["aws:ec2:vpc"] == {"VPCId": vpc, "Subnets": ",".join(subnets)}
    assert "aws:elasticbeanstalk:customoption" not in options
    assert printed(out, "network").startswith(f"{vpc} (as given)")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--subnets", "one-zone"], "cover 1 Availability Zone(s)"),
        (["--subnets", "subnet-nothing"], "wants subnet IDs"),
        (["--vpc", "vpc-0123456789abcdef0"], "needs --subnets too"),
        (["--alarm-email", "not an address"], "wants an e-mail address"),
        (["--secret-parameter", "/two//slashes"], "wants an SSM parameter name"),
    ],
)
def test_an_unusable_network_or_name_is_refused_before_anything_is_made(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
    args: list[str],
    reason: str,
) -> None:
    iam = account["iam"]
    if args[1] == "one-zone":
        args = ["--subnets", default_subnets(account["ec2"])[0]["SubnetId"]]
    code, _, err = run(
        capsys, "--output", str(tmp_path / "a.zip"), "--upload", RELEASE, *own(names), *args
    )
    assert code == 2 and reason in err, err
    assert missing(iam.get_role, RoleName=names[1])
    assert missing(iam.get_instance_profile, InstanceProfileName=names[1])
    assert missing(account["ssm"].get_parameter, Name=names[2])
    assert not (tmp_path / "a.zip").exists()


def test_a_role_name_iam_would_refuse_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "--output",
        str(tmp_path / "a.zip"),
        "--upload",
        RELEASE,
        "--role",
        "no spaces please",
    )
    assert code == 2 and "wants an IAM role name" in err


def test_another_application_gets_a_key_of_its_own(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
) -> None:
    application, role, parameter = names
    out, made = upload(capsys, tmp_path, *own(names))
    assert printed(out, "key").startswith(f"created {parameter}")
    (grant,) = [
        s for s in role_policy(account["iam"], role)["Statement"] if s["Sid"] == "SessionKey"
    ]
    assert grant["Resource"] == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{parameter}"
    assert f'secret_key_parameter = "{parameter}"' in unzip(made)["beanstalk.toml"]
    assert key_value(account["ssm"], parameter)[1] == 1
    assert f"applicationName={application}" in printed(out, "launch")


def test_a_key_from_the_environment_stays_in_the_zip_and_no_parameter_is_made(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    names: tuple[str, str, str],
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", "e" * 40)
    out, made = upload(capsys, tmp_path, *own(names), "--secret-from-env")
    assert 'secret_key = "' + "e" * 40 + '"' in unzip(made)["beanstalk.toml"]
    assert missing(account["ssm"].get_parameter, Name=names[2])
    assert printed(out, "role").startswith("created")


def test_the_policy_and_the_config_name_the_default_applications_key() -> None:
    """iam/policy.json may read the parameter that --upload makes for `tictactoe`."""
    accounts = part("account")
    name = accounts.default_parameter("tictactoe")
    assert name == PARAMETER
    policy = json.loads((ROOT / "iam" / "policy.json").read_text())
    (grant,) = [s for s in policy["Statement"] if s["Sid"] == "SessionKey"]
    assert grant["Resource"] == accounts.parameter_arn(REGION, "*", name)
    example = re.search(
        r'^# secret_key_parameter = "(.*)"$',
        (ROOT / "beanstalk.toml").read_text(),
        flags=re.MULTILINE,
    )
    assert example and example[1] == name


def test_the_role_needs_upload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"), "--role", "other")
    assert code == 2 and "needs --upload" in err
    assert not (tmp_path / "a.zip").exists()


VPC, SUBNETS = "vpc-0123456789abcdef0", "subnet-0123456789abcdef0,subnet-0fedcba9876543210"


@pytest.mark.parametrize(
    "args",
    [
        ["--vpc", VPC],
        ["--subnets", SUBNETS],
        ["--vpc", VPC, "--subnets", SUBNETS],  # public or not: the bundle must say
        ["--public-ip"],
        ["--no-public-ip", "--vpc", VPC],
    ],
)
def test_an_offline_build_names_a_whole_network_or_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """A bundle naming part of a network would move the environment's instances or cache."""
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"), *args)
    assert code == 2 and "go together" in err
    assert not (tmp_path / "a.zip").exists()


@pytest.mark.parametrize(("flag", "public"), [("--public-ip", "true"), ("--no-public-ip", None)])
def test_an_offline_build_carries_the_network_it_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, public: str | None
) -> None:
    """What a CI job passes from the variables --upload printed, in the order given."""
    subnets = ",".join(reversed(SUBNETS.split(",")))
    code, out, err = run(
        capsys, "--output", str(tmp_path / "a.zip"), "--vpc", VPC, "--subnets", subnets, flag
    )
    assert code == 0, err
    options = yaml.safe_load(unzip(tmp_path / "a.zip")[".ebextensions/90-account.config"])
    expected = {"VPCId": VPC, "Subnets": subnets, "ELBSubnets": subnets}
    if public:
        expected["AssociatePublicIpAddress"] = public
    assert options["option_settings"] == {"aws:ec2:vpc": expected}
    assert printed(out, "network").startswith(f"{VPC} (as given)")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--vpc", VPC, "--subnets", SUBNETS.split(",")[0], "--public-ip"], "need 2"),
        (["--vpc", "vpc-nope", "--subnets", SUBNETS, "--public-ip"], "wants a VPC ID"),
        (["--vpc", VPC, "--subnets", "subnet-x,subnet-y", "--public-ip"], "wants subnet IDs"),
    ],
)
def test_an_offline_network_with_a_malformed_id_or_one_subnet_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"), *args)
    assert code == 2 and reason in err, err
    assert not (tmp_path / "a.zip").exists()


def test_upload_finds_out_itself_whether_the_subnets_are_public(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "--output", str(tmp_path / "a.zip"), "--upload", RELEASE, "--no-public-ip"
    )
    assert code == 2 and "for offline builds" in err


def test_an_offline_build_is_as_before(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--output", str(tmp_path / "a.zip"))
    assert code == 0 and "generated a new [flask].secret_key" in out
    assert not [line for line in out.splitlines() if line.split(":")[0] in ("role", "key")]
    assert ".ebextensions/90-account.config" not in unzip(tmp_path / "a.zip")


def test_an_offline_build_may_name_the_parameter_and_the_alarm_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a build without account access (a CI job) can still carry: no lookups, no key."""
    code, out, err = run(
        capsys,
        "--output",
        str(tmp_path / "a.zip"),
        "--secret-parameter",
        PARAMETER,
        "--alarm-email",
        "ops@example.com",
    )
    assert code == 0, err
    files = unzip(tmp_path / "a.zip")
    (tmp_path / "bundled.toml").write_text(files["beanstalk.toml"])
    bundled = parse(tmp_path / "bundled.toml")
    assert bundled.secret_key is None and bundled.secret_key_parameter == PARAMETER
    options = yaml.safe_load(files[".ebextensions/90-account.config"])["option_settings"]
    assert options == {"aws:elasticbeanstalk:customoption": {"AlarmEmail": "ops@example.com"}}
    assert "generated" not in out


def test_waf_adds_the_web_acls_config_to_a_load_balanced_bundle_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waf = part("waf")
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"), "--waf")
    assert code == 0, err
    assert unzip(tmp_path / "a.zip")[waf.CONFIG_NAME] == waf.config_text()
    # Off by default: a web ACL is billed by the month.
    code, _, _ = run(capsys, "--output", str(tmp_path / "b.zip"))
    assert code == 0 and waf.CONFIG_NAME not in unzip(tmp_path / "b.zip")
    code, _, err = run(
        capsys, "--output", str(tmp_path / "c.zip"), "--waf", "--environment-type", "SingleInstance"
    )
    assert code == 2 and "SingleInstance" in err
    assert not (tmp_path / "c.zip").exists()


def test_upload_ends_with_the_ci_variables_and_the_deployment_policy_command(
    account: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    names: tuple[str, str, str],
) -> None:
    """The variables say what the bundle carries; the command is one the AWS API takes."""
    out, made = upload(capsys, tmp_path, *own(names), "--alarm-email", "ops@example.com")
    variables = {
        words[3]: words[5]
        for words in (shlex.split(line) for line in out.splitlines())
        if words[:3] == ["gh", "variable", "set"]
    }
    vpc = yaml.safe_load(unzip(made)[".ebextensions/90-account.config"])["option_settings"][
        "aws:ec2:vpc"
    ]
    assert variables["TICTACTOE_VPC"] == vpc["VPCId"]
    assert variables["TICTACTOE_SUBNETS"] == vpc["Subnets"]
    assert variables["TICTACTOE_PUBLIC_IP"] == vpc["AssociatePublicIpAddress"]
    assert variables["TICTACTOE_SECRET_PARAMETER"] == names[2]
    assert variables["TICTACTOE_ALARM_EMAIL"] == "ops@example.com"
    # The command: after the environment exists, the console's deployment options go, so
    # 05-deploy.config's apply. It names this application and parses as UpdateEnvironment.
    command = shlex.split(printed(out, "next").split(": ", 1)[1])
    assert command[:3] == ["aws", "elasticbeanstalk", "update-environment"]
    assert command[command.index("--application-name") + 1] == names[0]
    removed = command[command.index("--options-to-remove") + 1 :]
    specs = [dict(pair.split("=") for pair in item.split(",")) for item in removed]
    request = {"EnvironmentName": "Tictactoe-env", "OptionsToRemove": specs}
    shape = boto3.client("elasticbeanstalk", region_name=REGION).meta.service_model
    validate_parameters(request, shape.operation_model("UpdateEnvironment").input_shape)
    deploy = yaml.safe_load((ROOT / ".ebextensions" / "05-deploy.config").read_text())
    bundled = deploy["option_settings"]["aws:elasticbeanstalk:command"]
    assert {s["Namespace"] for s in specs} == {"aws:elasticbeanstalk:command"}
    assert {s["OptionName"] for s in specs} == {"DeploymentPolicy", "BatchSizeType", "BatchSize"}
    assert {s["OptionName"] for s in specs} <= set(bundled)
