"""The account steps of `scripts/bundle.py --upload`, each idempotent: run again, change nothing.

- The instance role and instance profile (default tictactoe-ec2): created when missing, with
  iam/policy.json as the inline policy tictactoe-app (its `*` account fields pinned to the
  caller's account, its SessionKey statement naming the session key's parameter) and AWS's
  managed AWSElasticBeanstalkWebTier. An existing role is never changed: where it differs,
  the script prints the difference and the command that would update it.
- The session key: an SSM SecureString parameter, created with a random key when missing and
  never overwritten. The bundled beanstalk.toml names it; the app reads it at start-up.
- The network (scripts/bundling/network.py) and --alarm-email, written into the bundle as the
  generated .ebextensions/90-account.config.

boto3 is imported only here, by the functions an upload calls: a plain Python still builds an
offline bundle.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the repository: two folders up
POLICY_FILE = ROOT / "iam" / "policy.json"
ROLE = "tictactoe-ec2"
POLICY_NAME = "tictactoe-app"  # the role's inline policy: what the app itself calls
WEB_TIER = "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"  # the platform's agents
SESSION_KEY_SID = "SessionKey"
# Only EC2 instances may take the role (the instance profile hands it to them).
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")  # IAM's rule for role and profile names
PARAMETER_NAME = re.compile(r"^/?[A-Za-z0-9_.\-/]{1,1011}$")  # SSM's characters, no spaces
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)

# Sorts after every .ebextensions file of the repository: Elastic Beanstalk applies them in
# alphabetical order, a later file's option winning.
CONFIG_NAME = ".ebextensions/90-account.config"
# Its comments name this module by its old path, scripts/bundle_account.py: they are bytes of
# every bundle, left so that the same inputs still build the same zip.
CONFIG_HEAD = """\
# Written by scripts/bundle.py into this bundle only (scripts/bundle_account.py): what the
# script found or was told about the account, so the Launch Now URL needs no choice but the
# instance profile.
option_settings:
"""
# Option reference: "General options for all environments", aws:ec2:vpc
# (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html).
VPC_BLOCK = """\
  # The VPC and subnets of the instances and the load balancer (Elastic Beanstalk option
  # reference, "General options for all environments", aws:ec2:vpc: VPCId, Subnets,
  # ELBSubnets, AssociatePublicIpAddress). .ebextensions/04-push.config puts the push cache
  # in the same Subnets.
  aws:ec2:vpc:
    VPCId: {vpc}
    Subnets: "{subnets}"
"""
ELB_LINE = '    ELBSubnets: "{subnets}"\n'
# Public subnets have no NAT: the instances reach AWS's APIs only through a public address.
PUBLIC_LINE = '    AssociatePublicIpAddress: "true"\n'
ALARM_BLOCK = """\
  # Where the alarms' SNS topic sends its e-mail, read with Fn::GetOptionSetting (developer
  # guide, "Custom options": the aws:elasticbeanstalk:customoption namespace).
  aws:elasticbeanstalk:customoption:
    AlarmEmail: "{email}"
"""


class AccountError(Exception):
    """An account step cannot be done; the message says why."""


def default_parameter(application: str) -> str:
    """Return the session key's parameter name for an Elastic Beanstalk application."""
    return f"/tictactoe/{application}/secret-key"


def check_names(role: str, parameter: str | None) -> None:
    """Refuse a role or parameter name that IAM or SSM would refuse, before any call."""
    if not ROLE_NAME.match(role):
        raise AccountError(
            f"--role wants an IAM role name (letters, digits, +=,.@_-), got {role!r}"
        )
    if parameter is not None and (not PARAMETER_NAME.match(parameter) or "//" in parameter):
        raise AccountError(
            f"--secret-parameter wants an SSM parameter name such as "
            f"/tictactoe/app/secret-key, got {parameter!r}"
        )


def check_email(address: str) -> str:
    """Return `address` if it looks like an e-mail address an SNS subscription can take."""
    if len(address) > 254 or not EMAIL.match(address):
        raise AccountError(f"--alarm-email wants an e-mail address, got {address!r}")
    return address


def parameter_arn(region: str, account: str, name: str) -> str:
    """Return the ARN of the SSM parameter `name` (a leading / is part of the name)."""
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def instance_policy(
    account: str, region: str, parameter: str, path: Path = POLICY_FILE
) -> dict[str, Any]:
    """Return iam/policy.json pinned to `account`, its SessionKey naming `parameter`."""
    policy: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    pinned = copy.deepcopy(policy)
    for statement in pinned["Statement"]:
        resources = statement["Resource"]
        listed = [resources] if isinstance(resources, str) else resources
        listed = [r.replace(":*:", f":{account}:", 1) for r in listed]
        if statement.get("Sid") == SESSION_KEY_SID:
            listed = [parameter_arn(region, account, parameter)]
        statement["Resource"] = listed[0] if isinstance(resources, str) else listed
    return pinned


def _pretty(policy: dict[str, Any]) -> list[str]:
    return json.dumps(policy, indent=2, sort_keys=True).splitlines(keepends=True)


def _missing(err: Exception, *codes: str) -> bool:
    return getattr(err, "response", {}).get("Error", {}).get("Code") in codes


def ensure_role(iam: Any, role: str, policy: dict[str, Any], policy_copy: Path) -> list[str]:
    """Create the role when missing; else report how it differs. Return the lines to print."""
    from botocore.exceptions import ClientError

    try:
        iam.get_role(RoleName=role)
    except ClientError as err:
        if not _missing(err, "NoSuchEntity"):
            raise
        iam.create_role(
            RoleName=role,
            AssumeRolePolicyDocument=json.dumps(TRUST),
            Description="Tic-Tac-Toe: the app's instances",
        )
        iam.put_role_policy(
            RoleName=role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
        )
        iam.attach_role_policy(RoleName=role, PolicyArn=WEB_TIER)
        return [
            f"role:    created {role} (inline policy {POLICY_NAME} from iam/policy.json, "
            "AWSElasticBeanstalkWebTier attached)"
        ]
    return _compare_role(iam, role, policy, policy_copy)


def _compare_role(iam: Any, role: str, policy: dict[str, Any], policy_copy: Path) -> list[str]:
    """Say how an existing role differs from what the script would make; change nothing."""
    from botocore.exceptions import ClientError

    problems: list[str] = []
    lines: list[str] = []
    try:
        current = iam.get_role_policy(RoleName=role, PolicyName=POLICY_NAME)["PolicyDocument"]
    except ClientError as err:
        if not _missing(err, "NoSuchEntity"):
            raise
        current = None
    if current != policy:
        problems.append(
            f"its inline policy {POLICY_NAME} "
            + ("is missing" if current is None else "is not iam/policy.json's")
        )
        policy_copy.parent.mkdir(parents=True, exist_ok=True)
        policy_copy.write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")
        lines += difflib.unified_diff(
            _pretty(current or {}),
            _pretty(policy),
            f"{role}/{POLICY_NAME} (in your account)",
            f"{policy_copy} (from iam/policy.json)",
        )
        lines.append(
            f"to update: aws iam put-role-policy --role-name {role} --policy-name "
            f"{POLICY_NAME} --policy-document file://{policy_copy}"
        )
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    if WEB_TIER not in {p["PolicyArn"] for p in attached}:
        problems.append("AWSElasticBeanstalkWebTier is not attached")
        lines.append(
            f"to attach: aws iam attach-role-policy --role-name {role} --policy-arn {WEB_TIER}"
        )
    if not problems:
        return [f"role:    exists {role}"]
    head = f"role:    differs: {role} exists, but {' and '.join(problems)}; left as it is"
    return [head, *(line.rstrip("\n") for line in lines)]


def ensure_instance_profile(iam: Any, role: str) -> str:
    """Create the instance profile of the same name holding the role; return the line."""
    from botocore.exceptions import ClientError

    try:
        profile = iam.get_instance_profile(InstanceProfileName=role)["InstanceProfile"]
    except ClientError as err:
        if not _missing(err, "NoSuchEntity"):
            raise
        iam.create_instance_profile(InstanceProfileName=role)
        iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
        return f"profile: created {role} (holding the role {role})"
    held = [r["RoleName"] for r in profile.get("Roles", [])]
    if held == [role]:
        return f"profile: exists {role}"
    if not held:
        iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
        return f"profile: exists {role}; created its link to the role {role}"
    return (
        f"profile: differs: {role} holds the role {held[0]}, not {role}; left as it is "
        "(choose a profile holding the role in the console)"
    )


def ensure_session_key(ssm: Any, name: str) -> str:
    """Create the SecureString `name` with a random key when missing; never overwrite it."""
    from botocore.exceptions import ClientError

    try:
        found = ssm.get_parameter(Name=name)["Parameter"]
    except ClientError as err:
        if not _missing(err, "ParameterNotFound"):
            raise
        try:
            ssm.put_parameter(
                Name=name,
                Type="SecureString",
                Overwrite=False,
                Value=secrets.token_urlsafe(48),
                Description="Tic-Tac-Toe session key",
            )
        except ClientError as race:  # made meanwhile by someone else: theirs stays
            if not _missing(race, "ParameterAlreadyExists"):
                raise
            return f"key:     exists {name}"
        return f"key:     created {name} (SecureString, a random key)"
    if found.get("Type") != "SecureString":
        raise AccountError(
            f"the SSM parameter {name} is a {found.get('Type')}; the app reads "
            "its key only from a SecureString. Delete it or choose another name "
            "with --secret-parameter"
        )
    return f"key:     exists {name} (kept as it is)"


def account_config(network: Any | None, alarm_email: str | None, load_balanced: bool) -> str:
    """Return the generated .ebextensions file: the network's options and AlarmEmail."""
    text = CONFIG_HEAD
    if network is not None:
        subnets = ",".join(network.subnets)
        text += VPC_BLOCK.format(vpc=network.vpc, subnets=subnets)
        if load_balanced:
            text += ELB_LINE.format(subnets=subnets)
        if network.public:
            text += PUBLIC_LINE
    if alarm_email is not None:
        text += ALARM_BLOCK.format(email=check_email(alarm_email))
    return text
