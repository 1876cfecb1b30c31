"""[game].away_claim_seconds and [push].presence_seconds: defaults, read from the file, and
refused by `check-config` with one line naming the key when they are not whole seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_config import run_python, write
from tictactoe import config

BASE = '[dynamodb]\nregion = "x"\nendpoint = "http://127.0.0.1:8000"\n'


def test_an_absence_of_a_minute_and_presence_of_ten_seconds_by_default(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, BASE))
    assert (settings.away_claim_seconds, settings.presence_seconds) == (60, 10)


def test_both_are_read_from_the_file(tmp_path: Path) -> None:
    text = BASE + "[game]\naway_claim_seconds = 5\n[push]\npresence_seconds = 3\n"
    settings = config.load(write(tmp_path, text))
    assert (settings.away_claim_seconds, settings.presence_seconds) == (5, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[game]\naway_claim_seconds = 0\n", "[game].away_claim_seconds must be a whole"),
        ("[game]\naway_claim_seconds = 1.5\n", "[game].away_claim_seconds must be a whole"),
        ("[game]\naway_claim_seconds = '60'\n", "[game].away_claim_seconds must be a whole"),
        ("[game]\naway_claim_seconds = true\n", "[game].away_claim_seconds must be a whole"),
        ("[push]\npresence_seconds = -1\n", "[push].presence_seconds must be a whole"),
        ("[game]\naway_seconds = 60\n", "unknown key [game].away_seconds"),
    ],
)
def test_check_config_refuses_what_is_not_whole_seconds(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, BASE + text)
    done = run_python(
        "from tictactoe.__main__ import main; raise SystemExit(main(['check-config']))", path
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
