""".elasticbeanstalk/config.yml: `eb deploy` ships the zip scripts/bundle.py builds."""

from __future__ import annotations

import tomllib

import yaml

from tests.deploy.test_bundle import part
from tests.support import ROOT, workflow

CONFIG = ROOT / ".elasticbeanstalk" / "config.yml"


def test_eb_deploy_ships_the_zip_bundle_py_writes() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    written = part("archive").DEFAULT_OUTPUT.as_posix()
    assert config["deploy"]["artifact"] == written == "dist/tictactoe.zip"
    # The workflow builds and uploads the same path.
    build = " ".join(
        script for _, script in workflow.run_scripts(workflow.load()["jobs"]["deploy"])
    )
    assert f"--output {config['deploy']['artifact']}" in build
    assert f"--body {config['deploy']['artifact']}" in build


def test_eb_cli_names_agree_with_the_bundle_and_the_config() -> None:
    config = yaml.safe_load(CONFIG.read_text())["global"]
    parser = part("options").parser()
    assert config["application_name"] == parser.get_default("application_name")
    assert config["default_platform"] == part("report").PLATFORM
    with (ROOT / "beanstalk.toml").open("rb") as f:
        assert config["default_region"] == tomllib.load(f)["dynamodb"]["region"]


def test_git_keeps_the_eb_cli_config_and_ignores_the_rest_of_its_folder() -> None:
    ignore = (ROOT / ".gitignore").read_text().splitlines()
    assert ".elasticbeanstalk/*" in ignore and "!.elasticbeanstalk/config.yml" in ignore
