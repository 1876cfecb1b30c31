"""iam/deploy-*.json with example values filled in, the AWS calls the workflow makes, and a
small evaluator that says which statement allows which call.

The evaluator knows what this policy uses: Allow statements, `*` and `?` wildcards in actions
and resources, and the condition operators below. Anything else fails loudly rather than
being judged wrongly.
"""

from __future__ import annotations

import fnmatch
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import ROOT

POLICY = ROOT / "iam" / "deploy-policy.json"
TRUST = ROOT / "iam" / "deploy-trust.json"

# The placeholders docs/deploy.md tells an operator to fill in, with example values.
EXAMPLE = {
    "AWS_ACCOUNT_ID": "123456789012",
    "AWS_REGION": "us-west-2",
    "EB_APPLICATION": "tictactoe",
    "EB_ENVIRONMENT": "Tictactoe-env",
    "GITHUB_REPOSITORY": "octo-org/tictactoe",
}
OPERATORS = {"ArnLike", "ArnEquals", "StringEquals", "StringLike"}


def placeholders(path: Path) -> set[str]:
    """Return the ${NAME} placeholders a file holds."""
    found = string.Template.pattern.finditer(path.read_text())
    return {m["braced"] or m["named"] for m in found if m["braced"] or m["named"]}


def filled(path: Path, values: dict[str, str] = EXAMPLE) -> str:
    """Return the file's text with the placeholders replaced, as docs/deploy.md's command does."""
    return string.Template(path.read_text()).substitute(values)


def statements(path: Path, values: dict[str, str] = EXAMPLE) -> list[dict[str, Any]]:
    """Return the statements with Action and Resource always lists."""
    found = json.loads(filled(path, values))["Statement"]
    for statement in found:
        for key in ("Action", "Resource"):
            if isinstance(statement.get(key), str):
                statement[key] = [statement[key]]
    return found


@dataclass(frozen=True)
class Need:
    """One IAM action on one resource, with the request's condition context."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def needs(args: list[str], region: str, account: str) -> list[Need]:
    """Map one `aws` command line to what IAM checks for it; KeyError for one not mapped."""

    def opt(name: str) -> str:
        return args[args.index(name) + 1]

    eb = f"arn:aws:elasticbeanstalk:{region}:{account}"
    service, command = args[0], args[1]
    if (service, command) == ("s3api", "put-object"):
        return [Need("s3:PutObject", f"arn:aws:s3:::{opt('--bucket')}/{opt('--key')}")]
    if service != "elasticbeanstalk":
        raise KeyError(f"aws {service} {command}")
    app = opt("--application-name")
    if command == "create-application-version":
        version = f"{eb}:applicationversion/{app}/{opt('--version-label')}"
        action = "elasticbeanstalk:CreateApplicationVersion"
        return [Need(action, f"{eb}:application/{app}"), Need(action, version)]
    if command == "describe-application-versions":
        action = "elasticbeanstalk:DescribeApplicationVersions"
        return [Need(action, f"{eb}:applicationversion/{app}/{opt('--version-labels')}")]
    if command == "update-environment":
        version = f"{eb}:applicationversion/{app}/{opt('--version-label')}"
        environment = f"{eb}:environment/{app}/{opt('--environment-name')}"
        context = (("elasticbeanstalk:FromApplicationVersion", version),)
        return [Need("elasticbeanstalk:UpdateEnvironment", environment, context)]
    if (command, args[2:3]) == ("wait", ["environment-updated"]) or (
        command == "describe-environments"
    ):
        environment = f"{eb}:environment/{app}/{opt('--environment-names')}"
        return [Need("elasticbeanstalk:DescribeEnvironments", environment)]
    if command == "describe-events":
        environment = f"{eb}:environment/{app}/{opt('--environment-name')}"
        return [Need("elasticbeanstalk:DescribeEvents", environment)]
    raise KeyError(f"aws {service} {command}")


def like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _conditions_hold(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, block in condition.items():
        assert operator in OPERATORS, f"the test cannot judge the operator {operator}"
        for key, wanted in block.items():
            value = context.get(key)
            wanted = [wanted] if isinstance(wanted, str) else wanted
            if value is None:
                return False
            if operator.endswith("Like") and not any(like(w, value) for w in wanted):
                return False
            if operator.endswith("Equals") and value not in wanted:
                return False
    return True


def allows(statement: dict[str, Any], need: Need) -> bool:
    """Whether an Allow statement grants `need`."""
    assert statement["Effect"] == "Allow" and "NotAction" not in statement
    assert "NotResource" not in statement
    action = any(like(a.lower(), need.action.lower()) for a in statement["Action"])
    resource = any(like(r, need.resource) for r in statement["Resource"])
    condition = _conditions_hold(statement.get("Condition", {}), dict(need.context))
    return action and resource and condition
