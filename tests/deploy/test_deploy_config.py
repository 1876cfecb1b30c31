""".ebextensions/05-deploy.config: deploys keep full capacity, wait for health, give `migrate`
its time, and the command docs/operations.md gives for console-made environments removes
exactly what the console would otherwise keep over this file.

The drill that shows what the policy buys is tests/e2e/test_deploy_drill.py; what the deploy
role needs for it, tests/deploy/test_deploy_iam.py.
"""

from __future__ import annotations

import re

from tests.deploy.test_bundle import platform_settings
from tests.support import ROOT
from tictactoe.commands.tables import MIGRATE_TIMEOUT

COMMAND = "aws:elasticbeanstalk:command"
# Options the console sets on an environment it creates ("Configuration options", recommended
# values), in this namespace: they win over .ebextensions until removed.
CONSOLE_SETS = {"DeploymentPolicy", "BatchSize", "BatchSizeType"}


def test_a_deploy_never_has_fewer_instances_in_service_than_before() -> None:
    settings = platform_settings()
    deploy, asg = settings[COMMAND], settings["aws:autoscaling:asg"]
    # One extra instance first, then one at a time: MinSize always in service.
    assert deploy["DeploymentPolicy"] == "RollingWithAdditionalBatch"
    assert (deploy["BatchSizeType"], deploy["BatchSize"]) == ("Fixed", "1")
    assert int(deploy["BatchSize"]) < int(asg["MinSize"])  # a batch out leaves one serving
    assert int(asg["MinSize"]) + int(deploy["BatchSize"]) <= int(asg["MaxSize"])


def test_a_batch_that_is_not_healthy_fails_the_deploy_after_migrate_had_its_time() -> None:
    deploy = platform_settings()[COMMAND]
    assert deploy["IgnoreHealthCheck"] == "false"
    assert MIGRATE_TIMEOUT < int(deploy["Timeout"]) <= 3600  # the reference's range
    # Requests under way finish before an instance stops (the drill uses 2 s for this).
    process = platform_settings()["aws:elasticbeanstalk:environment:process:default"]
    assert int(process["DeregistrationDelay"]) >= 20
    assert process["HealthCheckPath"] == "/health"


def test_no_rolling_update_setting_that_a_single_instance_would_refuse() -> None:
    assert "aws:autoscaling:updatepolicy:rollingupdate" not in platform_settings()


def test_the_docs_remove_exactly_what_the_console_keeps_over_the_file() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text[text.index("\n## Deploys\n") :]
    section = section[: section.index("\n## ", 1)]
    removed = re.findall(r"Namespace=([\w:]+),OptionName=(\w+)", section)
    assert {namespace for namespace, _ in removed} == {COMMAND}
    assert {name for _, name in removed} == CONSOLE_SETS
    assert CONSOLE_SETS <= set(platform_settings()[COMMAND])
    assert "--options-to-remove" in section
