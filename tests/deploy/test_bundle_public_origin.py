"""scripts/bundle.py --public-origin: the address players use, in the bundled config only.

Until [flask].public_origin is set the app builds its links from each request's Host; the
bundle can carry it once the domain is known (or the environment property
TICTACTOE_PUBLIC_ORIGIN can, without a new bundle: docs/deploy.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.test_bundle import run
from tests.deploy.test_bundle_https import ARN, unzip
from tests.support import ROOT
from tictactoe.config import Settings, parse


def bundled(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Settings:
    """Build with `args` and return the bundled config as the app loads it."""
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"), "--no-secret", *args)
    assert code == 0, err
    (tmp_path / "bundled.toml").write_text(unzip(tmp_path / "a.zip")["beanstalk.toml"])
    return parse(tmp_path / "bundled.toml")


def test_the_origin_goes_into_the_bundled_config_as_the_app_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (ROOT / "beanstalk.toml").read_bytes()
    settings = bundled(tmp_path, capsys, "--public-origin", "http://Game.Example.com:80/")
    assert settings.public_origin == "http://game.example.com"  # the app's own normal form
    assert (ROOT / "beanstalk.toml").read_bytes() == before  # the repository's file untouched
    assert bundled(tmp_path / "none", capsys).public_origin is None  # not set unless asked


def test_with_a_certificate_the_origin_must_be_https(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = "https://game.example.com"
    settings = bundled(tmp_path, capsys, "--certificate-arn", ARN, "--public-origin", origin)
    assert settings.public_origin == origin and settings.force_https
    code, _, err = run(
        capsys,
        "--output",
        str(tmp_path / "b.zip"),
        "--certificate-arn",
        ARN,
        "--public-origin",
        "http://game.example.com",
    )
    assert code == 2 and "must be https:// too" in err
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize(
    "origin",
    ["game.example.com", "https://game.example.com/play", "ftp://game.example.com", "https://"],
)
def test_anything_but_a_scheme_and_host_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], origin: str
) -> None:
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"), "--public-origin", origin)
    assert code == 2 and "scheme and host only" in err
    assert not (tmp_path / "a.zip").exists()


def test_a_config_naming_another_origin_is_refused_and_the_same_one_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(
        (ROOT / "beanstalk.toml")
        .read_text()
        .replace("\n[flask]\n", '\n[flask]\npublic_origin = "https://game.example.com"\n', 1)
    )
    same = bundled(
        tmp_path, capsys, "--config", str(config), "--public-origin", "https://game.example.com"
    )
    assert same.public_origin == "https://game.example.com"
    code, _, err = run(
        capsys,
        "--output",
        str(tmp_path / "b.zip"),
        "--config",
        str(config),
        "--public-origin",
        "https://other.example.com",
    )
    assert code == 2 and "not https://other.example.com" in err
