"""scripts/bundle.py: the zip's layout and allow-list, reproducibility, secrets, refusals,
the Launch Now URL, and --upload (against moto)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import yaml
from moto import mock_aws

from tests.support import ROOT
from tictactoe.config import parse

SECRET = "s" * 20 + "0123456789abcdefghij"
# --upload attaches AWS's managed AWSElasticBeanstalkWebTier to the role it creates: moto knows
# AWS's managed policies only when asked to load them.
AWS_AS_AN_ACCOUNT: Any = {"iam": {"load_aws_managed_policies": True}}


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("bundle", ROOT / "scripts" / "bundle.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bundle"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bundle = _load()


def part(name: str) -> Any:
    """Return one part of the script, scripts/bundling/<name>.py, as the script loaded it."""
    return importlib.import_module(f"bundling.{name}")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = bundle.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def printed(out: str, label: str) -> str:
    """Return the value of a `label:  value` line the script printed."""
    (line,) = [line for line in out.splitlines() if line.startswith(label + ":")]
    return line.split(":", 1)[1].strip()


@pytest.fixture
def zip_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, err = run(capsys, "--output", str(tmp_path / "app.zip"), "--bucket", "b")
    assert code == 0, err
    return tmp_path / "app.zip"


def test_the_zip_holds_the_app_at_its_root_and_nothing_else(zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        infos = zf.infolist()
    for required in (
        "application.py",
        "requirements.txt",
        "Procfile",
        "beanstalk.toml",
        "tictactoe/__init__.py",
        "tictactoe/static/style.css",
        ".ebextensions/01-app.config",
        ".ebextensions/04-push.config",
        ".platform/nginx/nginx.conf",
        ".platform/nginx/conf.d/uploads.conf",
        ".platform/nginx/conf.d/elasticbeanstalk/streams.conf",
    ):
        assert required in names
    tops = {name.split("/")[0] for name in names}
    assert tops <= {
        "application.py",
        "requirements.txt",
        "Procfile",
        "beanstalk.toml",
        "tictactoe",
        ".ebextensions",
        ".platform",
    }
    assert all("\\" not in n and not n.startswith("/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_the_allow_list_leaves_out_tests_caches_venvs_and_editor_files(tmp_path: Path) -> None:
    tree = [
        "application.py",
        "requirements.txt",
        "Procfile",
        "README.md",
        "local.toml",
        ".ebextensions/01-app.config",
        ".platform/nginx/conf.d/a.conf",
        "tictactoe/__init__.py",
        "tictactoe/static/a.css",
        "tictactoe/__pycache__/x.cpython-311.pyc",
        "tictactoe/x.pyc",
        "tictactoe/.game.py.swp",
        "tictactoe/rules/board.py~",
        "tictactoe/.DS_Store",
        "tictactoe/.#lock",
        "tests/test_x.py",
        ".git/config",
        ".venv/bin/python",
        ".local/dynamodb/a.jar",
        "dist/old.zip",
        "scripts/bundle.py",
        "tictactoe/.pytest_cache/v",
    ]
    for name in tree:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    made = part("archive").build(tmp_path / "out" / "b.zip", "[dynamodb]\n", root=tmp_path)
    assert made.names == [
        ".ebextensions/01-app.config",
        ".platform/nginx/conf.d/a.conf",
        "Procfile",
        "application.py",
        "beanstalk.toml",
        "requirements.txt",
        "tictactoe/__init__.py",
        "tictactoe/static/a.css",
    ]


def test_the_same_sources_and_secret_give_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", SECRET)
    digests = []
    for name in ("one.zip", "two.zip"):
        code, out, err = run(capsys, "--secret-from-env", "--output", str(tmp_path / name))
        assert code == 0, err
        digests.append(printed(out, "sha256"))
    one, two = (tmp_path / "one.zip").read_bytes(), (tmp_path / "two.zip").read_bytes()
    assert one == two
    assert digests == [hashlib.sha256(one).hexdigest()] * 2
    assert printed(out, "size").startswith(f"{len(one):,} bytes")
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert f'secret_key = "{SECRET}"' in zf.read("beanstalk.toml").decode()


def test_a_generated_secret_goes_into_the_bundle_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (ROOT / "beanstalk.toml").read_bytes()
    keys = []
    for name in ("one.zip", "two.zip"):
        code, out, _ = run(capsys, "--output", str(tmp_path / name))
        assert code == 0
        assert "generated a new [flask].secret_key" in out
        with zipfile.ZipFile(tmp_path / name) as zf:
            (tmp_path / "bundled.toml").write_bytes(zf.read("beanstalk.toml"))
        keys.append(parse(tmp_path / "bundled.toml").secret_key)
    assert (ROOT / "beanstalk.toml").read_bytes() == before
    assert parse(ROOT / "beanstalk.toml").secret_key is None
    assert all(key and len(key) >= 48 for key in keys)
    assert keys[0] != keys[1]  # fresh each time


def test_the_secret_goes_under_an_existing_flask_table(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[flask]  # session signing\n\n[dynamodb]\nregion = "eu-west-1"\n')
    text, settings, generated = part("config").bundled_config(config, SECRET)
    assert settings.secret_key == SECRET and settings.region == "eu-west-1"
    assert not generated
    assert text.count("[flask]") == 1


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ('[dynamodb]\nregion = "us-west-2"\ncolour = "red"\n', "unknown key [dynamodb].colour"),
        ("[s3]\nbucket = 'b'\n", "missing required key [dynamodb].region"),
        ("[dynamodb\n", "not valid TOML"),
        ('[dynamodb]\nregion = "us-west-2"\nendpoint = "http://127.0.0.1:8000"\n', "loopback"),
        ('[dynamodb]\nregion = "us-west-2"\n[flask]\nsecret_key = "x"\n', "already has"),
    ],
)
def test_an_unusable_config_is_refused_with_the_reason(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    reason: str,
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", SECRET)
    path = tmp_path / "bad.toml"
    path.write_text(config)
    out = tmp_path / "app.zip"
    code, _, err = run(capsys, "--config", str(path), "--secret-from-env", "--output", str(out))
    assert code == 2
    assert reason in err and str(path) in err
    assert not out.exists()


def test_secret_from_env_needs_a_strong_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "--secret-from-env", "--output", str(tmp_path / "a.zip"))
    assert code == 2 and "TICTACTOE_SECRET_KEY is not set" in err
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", "short")
    code, _, err = run(capsys, "--secret-from-env", "--output", str(tmp_path / "a.zip"))
    assert code == 2 and "too short" in err


def test_secret_from_env_reads_the_variable_it_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The deploy workflow fills a variable of its own from a repository secret.
    monkeypatch.setenv("CI_SESSION_KEY", SECRET)
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", "t" * 40)  # present, but not the one named
    zips = []
    for name in ("named.zip", "again.zip"):
        code, out, err = run(
            capsys, "--secret-from-env", "CI_SESSION_KEY", "--output", str(tmp_path / name)
        )
        assert code == 0, err
        assert "generated" not in out
        zips.append((tmp_path / name).read_bytes())
    assert zips[0] == zips[1]  # the same key and sources: the same release
    with zipfile.ZipFile(tmp_path / "named.zip") as zf:
        (tmp_path / "bundled.toml").write_bytes(zf.read("beanstalk.toml"))
    assert parse(tmp_path / "bundled.toml").secret_key == SECRET
    assert (ROOT / "beanstalk.toml").read_bytes().count(SECRET.encode()) == 0


@pytest.mark.parametrize(
    ("args", "env", "reason"),
    [
        (["--secret-from-env", "CI_SESSION_KEY"], {}, "CI_SESSION_KEY is not set"),
        (["--secret-from-env", "CI_SESSION_KEY"], {"CI_SESSION_KEY": ""}, "is not set"),
        (["--secret-from-env", "CI_SESSION_KEY"], {"CI_SESSION_KEY": "short"}, "too short"),
        (
            ["--secret-from-env", "CI_SESSION_KEY"],
            {"CI_SESSION_KEY": "k" * 40 + "\x07"},
            "control characters",
        ),
        (["--secret-from-env", "NOT-A-NAME"], {}, "wants an environment variable name"),
        (["--secret-from-env", ""], {}, "wants an environment variable name"),
        (
            ["--secret-from-env", "CI_SESSION_KEY", "--no-secret"],
            {"CI_SESSION_KEY": SECRET},
            "not both",
        ),
    ],
)
def test_secret_from_env_refuses_a_missing_or_weak_key_and_builds_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    reason: str,
) -> None:
    monkeypatch.delenv("CI_SESSION_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "a.zip"
    code, _, err = run(capsys, *args, "--output", str(out))
    assert code == 2 and reason in err
    assert not out.exists()


def test_a_bundle_over_elastic_beanstalks_limit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(part("archive"), "MAX_BYTES", 1000)
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"))
    assert code == 2 and "Elastic Beanstalk accepts at most 1,000" in err
    assert not (tmp_path / "a.zip").exists()


def test_the_launch_now_url_prefills_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "--output",
        str(tmp_path / "a.zip"),
        "--bucket",
        "my-bucket",
        "--key",
        "releases/v 1.zip",
        "--environment-type",
        "SingleInstance",
    )
    assert code == 0
    url = urlsplit(printed(out, "launch"))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "console.aws.amazon.com",
        "/elasticbeanstalk/home",
    )
    assert parse_qs(url.query) == {"region": ["us-west-2"]}  # beanstalk.toml's region
    route, _, query = url.fragment.partition("?")
    assert route == "/newApplication"
    assert parse_qs(query) == {
        "applicationName": ["tictactoe"],
        "platform": ["Python 3.11 running on 64bit Amazon Linux 2023"],
        "sourceBundleUrl": ["https://my-bucket.s3.us-west-2.amazonaws.com/releases/v%201.zip"],
        "environmentType": ["SingleInstance"],
        "tierName": ["WebServer"],
        "instanceType": ["t4g.micro"],  # Graviton by default
    }


def test_upload_puts_the_zip_in_the_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", SECRET)
    with mock_aws(config=AWS_AS_AN_ACCOUNT):
        s3 = boto3.client("s3", region_name="us-west-2")
        s3.create_bucket(
            Bucket="releases", CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
        )
        code, out, err = run(
            capsys,
            "--secret-from-env",
            "--output",
            str(tmp_path / "a.zip"),
            "--upload",
            "s3://releases/tictactoe/v1.zip",
        )
        assert code == 0, err
        stored = s3.get_object(Bucket="releases", Key="tictactoe/v1.zip")["Body"].read()
    assert stored == (tmp_path / "a.zip").read_bytes()
    assert printed(out, "upload") == "s3://releases/tictactoe/v1.zip"
    assert "sourceBundleUrl=https%3A%2F%2Freleases.s3.us-west-2.amazonaws.com%2Ftictactoe" in out


def test_upload_refuses_a_bucket_in_another_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws(config=AWS_AS_AN_ACCOUNT):
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket="far-away", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        code, _, err = run(
            capsys, "--output", str(tmp_path / "a.zip"), "--upload", "s3://far-away/app.zip"
        )
        assert code == 2 and "is in eu-west-1, the environment in us-west-2" in err
        assert "Contents" not in s3.list_objects_v2(Bucket="far-away")


@pytest.mark.parametrize("target", ["s3://bucket", "s3://bucket/dir/", "https://b/k.zip"])
def test_upload_wants_a_bucket_and_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, _, err = run(capsys, "--output", str(tmp_path / "a.zip"), "--upload", target)
    assert code == 2 and "s3://bucket/key.zip" in err


def test_help_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bundle.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--upload" in done.stdout and "--secret-from-env" in done.stdout


def platform_settings() -> dict[str, dict[str, str]]:
    """Merge the option settings of every .ebextensions/*.config in the repository."""
    settings: dict[str, dict[str, str]] = {}
    for path in sorted((ROOT / ".ebextensions").glob("*.config")):
        for namespace, options in (
            yaml.safe_load(path.read_text()).get("option_settings", {}).items()
        ):
            settings.setdefault(namespace, {}).update(options)
    return settings


def test_the_platform_settings_name_the_config_and_the_health_check() -> None:
    settings = platform_settings()
    # Namespaces from the Elastic Beanstalk option reference; values as the strings it stores.
    assert set(settings) <= {
        "aws:elasticbeanstalk:application:environment",
        "aws:elasticbeanstalk:environment",
        "aws:elasticbeanstalk:environment:process:default",
        "aws:elasticbeanstalk:environment:proxy:staticfiles",
        "aws:elbv2:loadbalancer",
        "aws:elasticbeanstalk:cloudwatch:logs",
        "aws:elasticbeanstalk:command",  # 05-deploy.config: the deployment policy
        "aws:elasticbeanstalk:cloudwatch:logs:health",  # 03-operations.config: health streaming
        "aws:elasticbeanstalk:healthreporting:system",
        "aws:autoscaling:asg",
        "aws:autoscaling:trigger",
        # 07-upkeep.config: managed platform updates, IMDSv2 only
        "aws:elasticbeanstalk:managedactions",
        "aws:elasticbeanstalk:managedactions:platformupdate",
        "aws:autoscaling:launchconfiguration",
    }
    assert all(isinstance(v, str) for options in settings.values() for v in options.values())
    assert settings["aws:elasticbeanstalk:environment"]["LoadBalancerType"] == "application"
    assert settings["aws:elasticbeanstalk:application:environment"]["CONFIG_FILE"] == (
        "beanstalk.toml"
    )
    assert settings["aws:elasticbeanstalk:environment:process:default"]["HealthCheckPath"] == (
        "/health"
    )
    # The platform's nginx serves /static from the folder this names (not its default, static/).
    static = settings["aws:elasticbeanstalk:environment:proxy:staticfiles"]
    assert static == {"/static": "tictactoe/static"}
    assert (ROOT / static["/static"] / "style.css").is_file()
    web = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")]
    assert len(web) == 1 and "--bind :8000" in web[0] and "application:application" in web[0]
    production = parse(ROOT / "beanstalk.toml")
    assert production.endpoint is None and production.s3_endpoint is None
    assert production.secret_key is None


def test_the_platforms_nginx_lets_a_full_size_picture_through() -> None:
    from tictactoe.web.pictures import UPLOAD_LIMIT

    conf = (ROOT / ".platform" / "nginx" / "conf.d" / "uploads.conf").read_text()
    (size,) = re.findall(r"^client_max_body_size (\d+)m;$", conf, flags=re.MULTILINE)
    assert int(size) * 1024 * 1024 >= UPLOAD_LIMIT


def test_a_plain_python_without_the_apps_packages_builds_the_same_zip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", SECRET)
    # -S: no site-packages, so no Flask; the config loader is loaded on its own.
    script = str(ROOT / "scripts" / "bundle.py")
    plain = [
        sys.executable,
        "-S",
        script,
        "--secret-from-env",
        "--output",
        str(tmp_path / "plain.zip"),
    ]
    subprocess.run(plain, check=True, capture_output=True)
    code, _, _ = run(capsys, "--secret-from-env", "--output", str(tmp_path / "venv.zip"))
    assert code == 0
    assert (tmp_path / "plain.zip").read_bytes() == (tmp_path / "venv.zip").read_bytes()


def test_logs_stream_for_30_days_with_enhanced_health_and_auto_scaling() -> None:
    from tests.deploy.test_bundle_https import RETENTION_DAYS, documented

    settings = platform_settings()
    for namespace, options in settings.items():
        allowed = documented(namespace)
        assert allowed is None or set(options) <= allowed, (namespace, options)
    logs = settings["aws:elasticbeanstalk:cloudwatch:logs"]
    assert logs == {"StreamLogs": "true", "DeleteOnTerminate": "false", "RetentionInDays": "30"}
    assert int(logs["RetentionInDays"]) in RETENTION_DAYS
    assert settings["aws:elasticbeanstalk:healthreporting:system"]["SystemType"] == "enhanced"
    asg, trigger = settings["aws:autoscaling:asg"], settings["aws:autoscaling:trigger"]
    assert 2 <= int(asg["MinSize"]) <= int(asg["MaxSize"])  # survives losing one instance
    assert trigger["MeasureName"] == "CPUUtilization" and trigger["Unit"] == "Percent"
    assert 0 <= int(trigger["LowerThreshold"]) < int(trigger["UpperThreshold"]) <= 100
    # The reference: BreachDuration = Period * EvaluationPeriods, or Elastic Beanstalk
    # silently changes one of them.
    assert int(trigger["BreachDuration"]) == int(trigger["Period"]) * int(
        trigger["EvaluationPeriods"]
    )


def test_log_streaming_needs_no_grant_in_the_apps_policy() -> None:
    """The streaming agent writes with the platform's managed policy, not the app's.

    AWSElasticBeanstalkWebTier (its CloudWatchLogsAccess statement: logs:CreateLogStream,
    PutLogEvents, DescribeLogStreams and DescribeLogGroups on /aws/elasticbeanstalk* groups)
    is what bundle.py --upload attaches to the instance role it creates
    (tests/deploy/test_bundle_account.py); iam/policy.json holds only what the app itself calls,
    which tests/deploy/test_policy.py proves both ways.
    """
    assert platform_settings()["aws:elasticbeanstalk:cloudwatch:logs"]["StreamLogs"] == "true"
    assert part("account").WEB_TIER == "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"
    policy = (ROOT / "iam" / "policy.json").read_text()
    assert '"logs:' not in policy
