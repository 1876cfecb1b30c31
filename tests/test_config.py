"""The config loader: TOML via tomllib, one clear message per mistake, secrets resolved."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import ROOT
from tictactoe import config
from tictactoe.adapters import ssm as ssm_keys
from tictactoe.config import ConfigError

FULL = """
[dynamodb]
region = "eu-west-1"
endpoint = "http://127.0.0.1:8000"
games_table = "G"
users_table = "U"
avatars_table = "A"

[s3]
bucket = "pics"
endpoint = "http://localhost:9000"
region = "eu-central-1"

[flask]
secret_key = "from-file"
previous_secret_keys = ["older", "oldest"]
force_https = true
trusted_proxies = 2

[game]
invitation_expiry_seconds = 3600
turn_timeout_seconds = 600
quick_play_wait_seconds = 45

[limits]
failed_logins_per_account = 3
login_attempts_per_client = 0
signups_per_client = 5
"""


# The status that makes gunicorn's master halt instead of restarting the worker forever.
GUNICORN_BOOT_ERROR = 3
LONG = "k" * 32  # the shortest key a deployed app accepts
DEPLOYED = '[dynamodb]\nregion = "us-west-2"\n[s3]\nbucket = "b"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.toml"
    path.write_text(text)
    return path


def test_every_key_of_the_contract_is_read(tmp_path: Path) -> None:
    s = config.load(write(tmp_path, FULL))
    assert (s.region, s.endpoint) == ("eu-west-1", "http://127.0.0.1:8000")
    assert (s.games_table, s.users_table, s.avatars_table) == ("G", "U", "A")
    assert (s.bucket, s.s3_endpoint, s.bucket_region) == (
        "pics",
        "http://localhost:9000",
        "eu-central-1",
    )
    assert s.secret_key == "from-file"
    assert s.previous_secret_keys == ("older", "oldest")
    assert (s.force_https, s.trusted_proxies, s.invitation_expiry_seconds) == (True, 2, 3600)
    assert (s.turn_timeout_seconds, s.quick_play_wait_seconds) == (600, 45)
    assert (s.failed_logins_per_account, s.login_attempts_per_client, s.signups_per_client) == (
        3,
        0,
        5,
    )


def test_defaults_and_s3_region_following_dynamodb(tmp_path: Path) -> None:
    s = config.load(
        write(tmp_path, f'[dynamodb]\nregion = "us-east-2"\n[flask]\nsecret_key = "{LONG}"\n')
    )
    assert (s.games_table, s.users_table, s.avatars_table) == ("Games", "Users", "Avatars")
    assert s.endpoint is None and s.bucket_region == "us-east-2"
    assert (s.force_https, s.trusted_proxies, s.previous_secret_keys) == (False, 0, ())
    assert s.invitation_expiry_seconds == 7 * 24 * 3600
    assert s.turn_timeout_seconds == 3 * 24 * 3600
    assert s.quick_play_wait_seconds == 60
    assert (s.failed_logins_per_account, s.login_attempts_per_client, s.signups_per_client) == (
        10,
        60,
        20,
    )


def test_config_file_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIG_FILE", str(write(tmp_path, FULL)))
    assert config.load().region == "eu-west-1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[dynamodb]\nregion = 'x'\n[redis]\nhost = 'y'\n", "unknown section [redis]"),
        ("[dynamodb]\nregion = 'x'\ntable = 'y'\n", "unknown key [dynamodb].table"),
        ("[dynamodb]\nregion = 3\n", "[dynamodb].region must be a non-empty string"),
        ("[dynamodb]\nregion = ''\n", "[dynamodb].region must be a non-empty string"),
        (
            "[dynamodb]\nendpoint = 'http://127.0.0.1:8000'\n",
            "missing required key [dynamodb].region",
        ),
        (
            "[dynamodb]\nregion = 'x'\nendpoint = 'localhost:8000'\n",
            "[dynamodb].endpoint must be an http(s) URL",
        ),
        ("[s3]\nbucket = 'b'\n", "missing required key [dynamodb].region"),
        (
            "[dynamodb]\nregion = 'x'\n[limits]\nsignups_per_client = -1\n",
            "[limits].signups_per_client must be a whole number, 0 or more",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[limits]\nsignups_per_client = '5'\n",
            "[limits].signups_per_client must be a whole number, 0 or more",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[flask]\ntrusted_proxies = true\n",
            "[flask].trusted_proxies must be a whole number, 0 or more",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[flask]\nforce_https = 'yes'\n",
            "[flask].force_https must be true or false",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[flask]\nprevious_secret_keys = 'k'\n",
            "[flask].previous_secret_keys must be a list of non-empty strings",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[game]\ninvitation_expiry_seconds = 0\n",
            "[game].invitation_expiry_seconds must be a whole number of seconds, more than 0",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[game]\nturn_timeout_seconds = -5\n",
            "[game].turn_timeout_seconds must be a whole number of seconds, more than 0",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[game]\nquick_play_wait_seconds = 0\n",
            "[game].quick_play_wait_seconds must be a whole number of seconds, more than 0",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[game]\nquick_play_wait_seconds = 1.5\n",
            "[game].quick_play_wait_seconds must be a whole number of seconds, more than 0",
        ),
        (
            "[dynamodb]\nregion = 'x'\n[s3]\nexpected_bucket_owner = '12345'\n",
            "[s3].expected_bucket_owner must be a 12-digit AWS account id",
        ),
        ("dynamodb = 'x'\n", "[dynamodb] must be a table"),
        ("[dynamodb\nregion = 'x'\n", "not valid TOML"),
    ],
)
def test_each_mistake_names_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: cannot read the file"):
        config.load(tmp_path / "nope.toml")


def test_config_file_must_be_set() -> None:
    with pytest.raises(ConfigError, match="CONFIG_FILE is not set"):
        config.load()


def test_environment_secret_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", "from-env")
    assert config.load(write(tmp_path, FULL)).secret_key == "from-env"


def test_a_local_stack_without_a_key_gets_a_random_one_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = FULL.replace('secret_key = "from-file"', "")
    with caplog.at_level(logging.WARNING):
        first, second = config.load(write(tmp_path, text)), config.load(write(tmp_path, text))
    assert first.secret_key and len(first.secret_key) >= 32
    assert first.secret_key != second.secret_key
    assert "No secret_key configured" in caplog.text


@pytest.mark.parametrize(
    "dynamodb", ['region = "us-west-2"', 'region = "us-west-2"\nendpoint = "http://10.0.0.5:8000"']
)
def test_a_deployed_app_without_a_shared_key_refuses_to_start(
    tmp_path: Path, dynamodb: str
) -> None:
    path = write(tmp_path, f"[dynamodb]\n{dynamodb}\n[s3]\nbucket = 'b'\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert "secret_key" in message and "TICTACTOE_SECRET_KEY" in message
    assert "workers" in message and "load balancer" in message


@pytest.mark.parametrize(
    ("flask", "env", "message"),
    [
        ('secret_key = "short"', {}, "[flask].secret_key is 5 characters"),
        ("", {"TICTACTOE_SECRET_KEY": "k" * 31}, "TICTACTOE_SECRET_KEY is 31 characters"),
        (
            f'secret_key = "{LONG}"\nprevious_secret_keys = ["old"]',
            {},
            "a key in [flask].previous_secret_keys is 3 characters",
        ),
        (
            f'secret_key = "{LONG}"',
            {"TICTACTOE_PREVIOUS_SECRET_KEYS": f"{LONG},tiny"},
            "a key in TICTACTOE_PREVIOUS_SECRET_KEYS is 4 characters",
        ),
    ],
)
def test_a_deployed_app_refuses_a_short_key_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flask: str,
    env: dict[str, str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = write(tmp_path, f"{DEPLOYED}[flask]\n{flask}\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: {message}; a deployed app needs at least 32")
    assert "\n" not in text and "token_urlsafe" in text


def test_a_local_stack_may_keep_a_short_key(tmp_path: Path) -> None:
    assert config.load(write(tmp_path, FULL)).secret_key == "from-file"  # FULL is all loopback


def test_previous_keys_come_from_the_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older, oldest = "o" * 40, "p" * 40
    path = write(
        tmp_path, f'{DEPLOYED}[flask]\nsecret_key = "{LONG}"\nprevious_secret_keys = ["{older}"]\n'
    )
    assert config.load(path).previous_secret_keys == (older,)
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", "n" * 40)
    monkeypatch.setenv("TICTACTOE_PREVIOUS_SECRET_KEYS", f" {older} , {oldest},")
    s = config.load(path)
    assert (s.secret_key, s.previous_secret_keys) == ("n" * 40, (older, oldest))


def test_a_short_key_stops_the_app_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, f'{DEPLOYED}[flask]\nsecret_key = "short"\n')
    done = run_python("import application", path)
    assert done.returncode == GUNICORN_BOOT_ERROR
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"configuration error: {path}: [flask].secret_key is 5 characters")


PARAMETER = "/tictactoe/secret-key"


@pytest.fixture
def ssm(moto: None) -> Any:
    return boto3.client("ssm", region_name="us-west-2")


def with_parameter(tmp_path: Path) -> Path:
    return write(tmp_path, f'{DEPLOYED}[flask]\nsecret_key_parameter = "{PARAMETER}"\n')


def test_the_keys_can_come_from_an_ssm_securestring(tmp_path: Path, ssm: Any) -> None:
    new, old = "n" * 40, "o" * 40
    ssm.put_parameter(Name=PARAMETER, Value=f"{new}\n{old}\n", Type="SecureString")
    s = config.load(with_parameter(tmp_path), read_keys=ssm_keys.read_keys)
    assert (s.secret_key, s.previous_secret_keys) == (new, (old,))


def test_the_environment_key_wins_and_the_parameter_is_not_read(
    tmp_path: Path, ssm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICTACTOE_SECRET_KEY", LONG)  # the parameter does not even exist
    assert config.load(with_parameter(tmp_path), read_keys=ssm_keys.read_keys).secret_key == LONG


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (
            None,
            "cannot read the SSM parameter /tictactoe/secret-key (An error occurred "
            "(ParameterNotFound)",
        ),
        (("k" * 40, "String"), "is a String; store the key as a SecureString"),
        (("short", "SecureString"), "the SSM parameter /tictactoe/secret-key is 5 characters"),
        (("\n \n", "SecureString"), "the SSM parameter /tictactoe/secret-key is empty"),
    ],
)
def test_an_unusable_parameter_stops_start_up_with_one_line(
    tmp_path: Path, ssm: Any, stored: tuple[str, str] | None, message: str
) -> None:
    if stored:
        ssm.put_parameter(Name=PARAMETER, Value=stored[0], Type=stored[1])
    path = with_parameter(tmp_path)
    with pytest.raises(ConfigError) as caught:
        config.load(path, read_keys=ssm_keys.read_keys)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_tool_that_reads_no_ssm_says_so(tmp_path: Path) -> None:
    path = with_parameter(tmp_path)
    with pytest.raises(
        ConfigError, match="secret_key_parameter is set, but this tool reads no SSM"
    ):
        config.load(path)


def test_a_key_in_the_file_and_a_parameter_are_one_too_many(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'{DEPLOYED}[flask]\nsecret_key = "{LONG}"\nsecret_key_parameter = "{PARAMETER}"\n',
    )
    with pytest.raises(ConfigError, match="set \\[flask\\].secret_key or secret_key_parameter"):
        config.load(path)


def run_python(code: str, config_file: Path) -> subprocess.CompletedProcess[str]:
    env = {"CONFIG_FILE": str(config_file), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_bad_config_stops_the_app_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[dynamodb]\nregion = 'x'\ncolour = 'blue'\n")
    done = run_python("import application", path)
    assert done.returncode == GUNICORN_BOOT_ERROR
    assert done.stderr.strip() == f"configuration error: {path}: unknown key [dynamodb].colour"
    assert "Traceback" not in done.stderr


def test_check_config_command_reports_the_mistake(tmp_path: Path) -> None:
    path = write(tmp_path, "[dynamodb]\nregion = 5\n")
    done = run_python(
        "from tictactoe.__main__ import main; raise SystemExit(main(['check-config']))", path
    )
    assert done.returncode == 2
    assert "[dynamodb].region must be a non-empty string" in done.stderr


# -- [push] url and TICTACTOE_PUSH_URL (live updates) --------------------------------------

PUSH = '[dynamodb]\nregion = "x"\nendpoint = "http://127.0.0.1:8000"\n'


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://cache.internal",
        "rediss://cache.example.com:6380/3",
        "redis://:secret@cache.internal:6379",
        "rediss://user:pw@cache.internal/15",
    ],
)
def test_push_url_is_read_from_the_file(tmp_path: Path, url: str) -> None:
    assert config.load(write(tmp_path, f'{PUSH}[push]\nurl = "{url}"\n')).push_url == url


def test_push_is_off_without_a_url(tmp_path: Path) -> None:
    assert config.load(write(tmp_path, PUSH)).push_url is None
    assert config.load(write(tmp_path, f"{PUSH}[push]\n")).push_url is None


def test_the_environment_push_url_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.PUSH_URL_ENV, "rediss://from-env.example:6380/0")
    with_file = tmp_path / "with-push.toml"
    with_file.write_text(f'{PUSH}[push]\nurl = "redis://from-file:6379/0"\n')
    assert config.load(with_file).push_url == "rediss://from-env.example:6380/0"
    assert config.load(write(tmp_path, PUSH)).push_url == "rediss://from-env.example:6380/0"
    monkeypatch.setenv(config.PUSH_URL_ENV, "")  # set but empty: the file's
    assert config.load(with_file).push_url == "redis://from-file:6379/0"


BAD_PUSH_URLS = [
    ("http://cache:6379", "must be a redis:// or rediss:// URL"),
    ("cache.internal:6379", "must be a redis:// or rediss:// URL"),
    ("redis://", "must be a redis:// or rediss:// URL"),
    ("redis:///0", "must be a redis:// or rediss:// URL"),
    ("unix:///run/redis.sock", "must be a redis:// or rediss:// URL"),
    ("redis://cache:port/0", "has a port that is not a number"),
    ("redis://cache:99999", "has a port that is not a number"),
    ("redis://cache:6379/zero", "the database (after the host) must be a number"),
    ("redis://cache:6379/0/1", "the database (after the host) must be a number"),
]


@pytest.mark.parametrize(("url", "message"), BAD_PUSH_URLS)
def test_a_bad_push_url_in_the_file_is_named(tmp_path: Path, url: str, message: str) -> None:
    path = write(tmp_path, f'{PUSH}[push]\nurl = "{url}"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert str(caught.value).startswith(f"{path}: [push].url")
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[push]\nurl = ''\n", "[push].url must be a non-empty string"),
        ("[push]\nurl = 6379\n", "[push].url must be a non-empty string"),
        ("[push]\nhost = 'cache'\n", "unknown key [push].host"),
    ],
)
def test_the_push_section_takes_one_string(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, PUSH + text)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize(("url", "message"), BAD_PUSH_URLS[:3] + BAD_PUSH_URLS[-2:])
def test_a_bad_push_url_in_the_environment_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv(config.PUSH_URL_ENV, url)
    good_file = write(tmp_path, f'{PUSH}[push]\nurl = "redis://cache:6379/0"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(good_file)
    assert str(caught.value).startswith(config.PUSH_URL_ENV) and message in str(caught.value)


def check_config(config_file: Path, **env: str) -> subprocess.CompletedProcess[str]:
    code = "from tictactoe.__main__ import main; raise SystemExit(main(['check-config']))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"CONFIG_FILE": str(config_file), "PATH": "/usr/bin:/bin", **env},
        timeout=60,
    )


def test_check_config_rejects_a_bad_push_url_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, f'{PUSH}[push]\nurl = "http://cache:6379"\n')
    done = check_config(path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        f"configuration error: {path}: [push].url must be a redis:// or rediss:// "
        "URL, got 'http://cache:6379'"
    )
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_check_config_rejects_a_bad_push_url_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, PUSH)
    done = check_config(path, **{config.PUSH_URL_ENV: "redis://cache:6379/db"})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"configuration error: {config.PUSH_URL_ENV}: the database")
    good = check_config(path, **{config.PUSH_URL_ENV: "rediss://cache:6380/1"})
    assert good.returncode == 0 and "error" not in good.stderr  # (a local stack's key warning)
    assert good.stdout.strip() == "x: configuration is valid"


ORIGIN_BASE = '[dynamodb]\nregion = "x"\nendpoint = "http://127.0.0.1:8000"\n[flask]\n'


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("https://ttt.example.com", "https://ttt.example.com"),
        ("https://TTT.Example.com/", "https://ttt.example.com"),
        ("https://ttt.example.com:443", "https://ttt.example.com"),
        ("https://ttt.example.com:8443", "https://ttt.example.com:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://[::1]:5000", "http://[::1]:5000"),
    ],
)
def test_the_public_origin_is_read_as_scheme_and_host(
    tmp_path: Path, given: str, read: str
) -> None:
    path = write(tmp_path, f'{ORIGIN_BASE}public_origin = "{given}"\n')
    assert config.load(path).public_origin == read
    assert config.load(write(tmp_path, ORIGIN_BASE)).public_origin is None  # unset: none


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("ttt.example.com", "scheme and host only"),
        ("ftp://ttt.example.com", "scheme and host only"),
        ("https://ttt.example.com/play", "scheme and host only"),
        ("https://ttt.example.com/?x=1", "scheme and host only"),
        ("https://ttt.example.com#top", "scheme and host only"),
        ("https://me:pw@ttt.example.com", "scheme and host only"),
        ("https://", "scheme and host only"),
        ("https://ttt.example.com:port", "has a port that is not a number"),
    ],
)
def test_a_bad_public_origin_is_named(tmp_path: Path, given: str, message: str) -> None:
    path = write(tmp_path, f'{ORIGIN_BASE}public_origin = "{given}"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert str(caught.value).startswith(f"{path}: [flask].public_origin")
    assert message in str(caught.value)


def test_the_environment_public_origin_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, f'{ORIGIN_BASE}public_origin = "https://file.example"\n')
    monkeypatch.setenv(config.PUBLIC_ORIGIN_ENV, "https://Env.example/")
    assert config.load(path).public_origin == "https://env.example"
    monkeypatch.setenv(config.PUBLIC_ORIGIN_ENV, "env.example")
    with pytest.raises(ConfigError, match=f"^{config.PUBLIC_ORIGIN_ENV} must be the address"):
        config.load(path)


def test_force_https_needs_an_https_public_origin(tmp_path: Path) -> None:
    path = write(tmp_path, f'{ORIGIN_BASE}force_https = true\npublic_origin = "http://t.example"\n')
    with pytest.raises(ConfigError, match="force_https is on, so public_origin must be https"):
        config.load(path)
