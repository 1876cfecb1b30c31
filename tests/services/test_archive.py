"""Export and import, both ways: DynamoDB Local -> moto, DynamoDB Local -> a second DynamoDB
Local, and back into a live table, interrupted and resumed, never older over newer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from tests.conftest import make_settings, passthrough, running_dynamodb_local
from tests.support import ROOT
from tests.support.stacks import app_on, everything, fail_after, play, plenty, signs_in
from tictactoe.adapters.archive_file import check, line
from tictactoe.commands.archive import report
from tictactoe.config import Settings
from tictactoe.services.archive import ImportStopped, export, import_archive, progress_path
from tictactoe.services.backend import build
from tictactoe.services.pacing import TokenBucket
from tictactoe.store import ensure_tables

ROLES = ("games", "users", "avatars")


@pytest.fixture(scope="module")
def second_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second DynamoDB Local of its own, empty: the stack an archive moves to."""
    with running_dynamodb_local(tmp_path_factory.mktemp("second-dynamodb-local")) as url:
        yield url


@pytest.fixture
def from_local(dynamodb_local_url: str, second_local: str) -> Iterator[Settings]:
    """Settings on DynamoDB Local; S3, and DynamoDB without an endpoint, are moto's."""
    urls = [re.escape(url) + ".*" for url in (dynamodb_local_url, second_local)]
    with mock_aws(config={"core": {"passthrough": {"urls": urls}}}):
        yield make_settings(endpoint=dynamodb_local_url)


def board(game: dict[str, Any]) -> str:
    """Return the API's board as the store keeps it."""
    return "".join(cell or "-" for cell in game["board"])


def test_a_game_moves_from_dynamodb_local_to_moto_whole(from_local: Settings, tmp_path: Path):
    played = play(from_local)
    archive = tmp_path / "game.jsonl.gz"
    done = export(build(from_local), archive, plenty(), pictures=True)
    assert done["objects"] == 4  # two pictures, two sizes each
    assert done["items"]["games"] >= 3 and done["items"]["users"] >= 3

    target = make_settings()  # moto's DynamoDB: no endpoint
    progress, resumed = import_archive(build(target), archive, plenty())
    assert not resumed and not progress_path(archive).exists()
    assert everything(build(target)) == everything(build(from_local))
    assert progress.outcomes["pictures"] == {"written": 4}
    assert set(progress.outcomes["games"]) == {"written"}

    # The moved stack works: alice signs in with her password, sees both games, her picture.
    app = app_on(target)
    alice = signs_in(app, "alice")
    game = alice.call("GET", f"/api/games/{played.finished['id']}").get_json()
    assert game["status"] == "FINISHED" and game["winner"] == played.finished["winner"]
    listed = alice.call("GET", "/api/games").get_json()
    assert played.playing["id"] in str(listed)
    url = alice.call("GET", "/api/me").get_json()["avatar_url"]
    assert url and alice.client.get(url).status_code == 200


def test_a_game_moves_to_a_second_dynamodb_local(
    from_local: Settings, second_local: str, tmp_path: Path
) -> None:
    play(from_local)
    archive = tmp_path / "game.jsonl"  # plain JSON Lines this time
    export(build(from_local), archive, plenty(), pictures=True, segments=3)
    target = make_settings(endpoint=second_local)
    import_archive(build(target), archive, plenty())
    moved = everything(build(target))
    assert moved == everything(build(from_local))
    assert all(moved[role] for role in ROLES) and moved["objects"]


def test_importing_twice_gives_the_same_state(settings: Settings, tmp_path: Path) -> None:
    play(settings)
    archive = tmp_path / "all.jsonl.gz"
    export(build(settings), archive, plenty(), pictures=True)
    target = make_settings(endpoint=settings.endpoint)
    import_archive(build(target), archive, plenty())
    once = everything(build(target))
    again, _ = import_archive(build(target), archive, plenty())
    assert everything(build(target)) == once
    lines = check(archive)
    for role in ROLES:
        assert again.outcomes.get(role, {}) == {"already there": lines.items[role]}
    assert again.outcomes["pictures"] == {"already there": lines.objects}


def test_an_interrupted_import_resumes_and_doubles_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    play(settings)
    archive = tmp_path / "all.jsonl.gz"
    export(build(settings), archive, plenty(), pictures=True)
    target = make_settings(endpoint=settings.endpoint)
    broken = build(target)
    ensure_tables(broken.dynamodb, target)  # its schema lease's put is not an item
    fail_after(broken.dynamodb, "PutItem", 5)  # the network goes after five items
    with pytest.raises(ImportStopped, match="run the same command again to resume"):
        import_archive(broken, archive, plenty(), workers=3)
    assert progress_path(archive).exists()
    part = everything(build(target))
    assert 5 <= sum(len(part[r]) for r in ROLES) < check(archive).lines

    progress, resumed = import_archive(build(target), archive, plenty(), workers=3)
    assert resumed and not progress_path(archive).exists()
    assert everything(build(target)) == everything(build(settings))
    # Every line counted once over both runs: each item written exactly once, none twice.
    lines = check(archive)
    for role in ROLES:
        assert progress.outcomes[role] == {"written": lines.items[role]}
    assert progress.outcomes["pictures"] == {"written": lines.objects}
    assert "(resumed)" in report(archive, target, progress, resumed)


def test_an_older_game_never_replaces_a_newer_one(settings: Settings, tmp_path: Path) -> None:
    played = play(settings)
    archive = tmp_path / "before.jsonl"
    export(build(settings), archive, plenty())
    game = played.playing
    after = played.players[game["turn"]].move(game, 0).get_json()  # the table moves on
    assert after["board"] != game["board"]

    progress, _ = import_archive(build(settings), archive, plenty())
    backend = build(settings)
    assert backend.games.get(game["id"]).board == board(after)
    assert progress.outcomes["games"]["kept the table's newer copy"] == 1
    said = report(archive, settings, progress, False)
    assert f"games {game['id']}: kept the table's newer copy" in said


def test_a_newer_archive_replaces_an_older_item(settings: Settings, tmp_path: Path) -> None:
    played = play(settings)
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    export(build(settings), old, plenty())
    game = played.playing
    after = played.players[game["turn"]].move(game, 0).get_json()
    export(build(settings), new, plenty())
    target = make_settings(endpoint=settings.endpoint)
    import_archive(build(target), old, plenty())
    progress, _ = import_archive(build(target), new, plenty())
    assert build(target).games.get(game["id"]).board == board(after)
    assert progress.outcomes["games"]["written"] == 1


def test_an_export_reads_no_faster_than_its_rate(settings: Settings, tmp_path: Path) -> None:
    play(settings)
    moments = [0.0]
    reads = TokenBucket(
        0.5, clock=lambda: moments[0], sleep=lambda s: moments.__setitem__(0, moments[0] + s)
    )
    export(build(settings), tmp_path / "slow.jsonl", reads, segments=2)
    assert reads.spent > 1
    # Time passes only while readers wait. Were there one more page to read, it would start
    # no sooner than the rate allows: all it read, less one second's burst, at 0.5 a second.
    reads.wait()
    assert moments[0] >= (reads.spent - 0.5) / 0.5 - 1e-9


def test_an_import_killed_outright_resumes_and_loses_nothing(
    dynamodb_local_url: str, tmp_path: Path
) -> None:
    """A real `python -m tictactoe import`, killed with SIGKILL after its first checkpoint."""
    target = make_settings(endpoint=dynamodb_local_url)
    archive = tmp_path / "players.jsonl"
    players = [
        {"UserKey": {"S": f"p{n:04d}"}, "Name": {"S": f"P{n:04d}"}, "SessionEpoch": {"N": "0"}}
        for n in range(300)
    ]
    archive.write_text(
        line({"format": "tictactoe-archive", "version": 1, "id": "killed"})
        + "".join(line({"table": "users", "item": p}) for p in players)
        + line({"end": {"items": {"games": 0, "users": 300, "avatars": 0}, "objects": 0}})
    )
    config = tmp_path / "target.toml"
    config.write_text(
        f'[dynamodb]\nregion = "us-west-2"\nendpoint = "{dynamodb_local_url}"\n'
        f'users_table = "{target.users_table}"\n'
        f'games_table = "{target.games_table}"\n'
        f'avatars_table = "{target.avatars_table}"\n'
        f'[s3]\nbucket = "{target.bucket}"\n'
    )
    # 50 write units a second: 300 players take 5 s or more; the first checkpoint (100 lines)
    # comes after about 2 s, and the kill follows at once.
    command = [
        sys.executable,
        "-m",
        "tictactoe",
        "import",
        str(archive),
        "--max-wcu-per-second",
        "50",
    ]
    log = tmp_path / "import.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "CONFIG_FILE": str(config)},
        )
        try:
            deadline = time.monotonic() + 120
            while not progress_path(archive).exists() and proc.poll() is None:
                assert time.monotonic() < deadline, "the import saved no progress"
                time.sleep(0.05)  # waiting for the checkpoint to appear, not for time to pass
            proc.kill()
        finally:
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, log.read_text()
    with mock_aws(config=passthrough(dynamodb_local_url)):  # no picture, so no bucket
        part = everything(build(target), objects=False)["users"]
        assert 100 <= len(part) < 300
        progress, resumed = import_archive(build(target), archive, plenty())
        assert resumed
        assert len(everything(build(target), objects=False)["users"]) == 300
    counted = progress.outcomes["users"]
    # Every line counted once; only the writes in flight at the kill are "already there".
    assert counted.get("written", 0) + counted.get("already there", 0) == 300
    assert counted.get("already there", 0) <= len(part) - 100
