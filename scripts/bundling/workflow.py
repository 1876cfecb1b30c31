"""What `scripts/bundle.py --upload` prints for what comes after it: continuous deployment's
repository variables, and the one command a console-made environment needs.

Every version deployed to an environment must carry what the first one did: a version whose
.ebextensions lack an option the previous one set lets that option fall back to its default,
and the push cache's subnets, the alarms' address and the session key's parameter are such
options. The deploy workflow (.github/workflows/deploy.yml) builds offline, without the
account, so it passes the choices `--upload` made as repository variables; the names here are
the ones the workflow reads. tests/deploy/test_deploy_workflow.py builds both ways and compares
the zips. Standard library only.
"""

from __future__ import annotations

import shlex
from typing import Any

# The repository variables the workflow turns back into bundle.py's arguments.
VPC = "TICTACTOE_VPC"  # --vpc
SUBNETS = "TICTACTOE_SUBNETS"  # --subnets, in the order --upload chose
PUBLIC_IP = "TICTACTOE_PUBLIC_IP"  # true: --public-ip, false: --no-public-ip
SECRET_PARAMETER = "TICTACTOE_SECRET_PARAMETER"  # --secret-parameter
ALARM_EMAIL = "TICTACTOE_ALARM_EMAIL"  # --alarm-email
PUBLIC_ORIGIN = "TICTACTOE_PUBLIC_ORIGIN"  # --public-origin
ENVIRONMENT_TYPE = "TICTACTOE_ENVIRONMENT_TYPE"  # --environment-type
WAF = "TICTACTOE_WAF"  # true: --waf
CERTIFICATE_ARN = "CERTIFICATE_ARN"  # --certificate-arn (the workflow's name from before)
BUNDLE_SECRET = "BUNDLE_SECRET"  # from-secret: the key from the secret TICTACTOE_BUNDLE_KEY

# The options the console sets on a new environment itself, which win over 05-deploy.config
# (Elastic Beanstalk developer guide, "Configuration options": precedence, recommended values).
# The workflow cannot remove them as it deploys: UpdateEnvironment refuses a request that
# deploys a version and changes settings at once (InvalidParameterCombination, Elastic
# Beanstalk API reference, UpdateEnvironment), and the deploy role may only deploy versions.
DEPLOYMENT_OPTIONS = ("DeploymentPolicy", "BatchSizeType", "BatchSize")


def repository_variables(args: Any, network: Any, parameter: str | None) -> list[tuple[str, str]]:
    """Return (name, value) for each repository variable the workflow needs to build the same."""
    found: list[tuple[str, str]] = []
    if network is not None:
        found += [
            (VPC, network.vpc),
            (SUBNETS, ",".join(network.subnets)),
            (PUBLIC_IP, "true" if network.public else "false"),
        ]
    if parameter:
        found.append((SECRET_PARAMETER, parameter))
    else:  # --secret-from-env: the key travels in the zip, from a repository secret
        found.append((BUNDLE_SECRET, "from-secret"))
    optional = [
        (ALARM_EMAIL, args.alarm_email),
        (PUBLIC_ORIGIN, args.public_origin),
        (CERTIFICATE_ARN, args.certificate_arn),
        (ENVIRONMENT_TYPE, args.environment_type),
        (WAF, "true" if args.waf else "false"),
    ]
    return found + [(name, value) for name, value in optional if value]


def variable_lines(variables: list[tuple[str, str]]) -> list[str]:
    """Return the `gh variable set` commands that set them, one a line, quoted for a shell."""
    return [f"gh variable set {name} --body {shlex.quote(value)}" for name, value in variables]


def deployment_policy_command(application: str) -> str:
    """Return the one-time command that lets 05-deploy.config's deployment policy apply."""
    # The name the console proposes (Tictactoe-env for tictactoe); the operator may choose another.
    environment = f"{application[:1].upper()}{application[1:]}-env"
    options = " ".join(
        f"Namespace=aws:elasticbeanstalk:command,OptionName={name}" for name in DEPLOYMENT_OPTIONS
    )
    return (
        f"aws elasticbeanstalk update-environment --application-name {application} "
        f"--environment-name {environment} --options-to-remove {options}"
    )
