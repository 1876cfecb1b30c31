"""The archive's format, its checks, the import's checkpoint, the token bucket and the commands."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.support.stacks import play
from tictactoe import __main__ as cli
from tictactoe.adapters.archive_file import ArchiveError, Progress, check, decode, encode, line
from tictactoe.config import Settings
from tictactoe.services.pacing import TokenBucket
from tictactoe.store.archive import canonical

ITEM = {
    "GameId": {"S": "g1"},
    "Version": {"N": "3"},
    "Blob": {"B": b"\x00\xff picture"},
    "Blobs": {"BS": [b"\x01", b"\x02"]},
    "Tags": {"SS": ["b", "a"]},
    "B": {"M": {"B": {"S": "a map entry named B"}, "L": {"L": [{"B": b"\x03"}, {"NULL": True}]}}},
    "Done": {"BOOL": False},
}


def header(**changes: Any) -> dict[str, Any]:
    return {"format": "tictactoe-archive", "version": 1, "id": "abc", **changes}


def write(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(line(r) for r in records))
    return path


def end(games: int = 0, objects: int = 0) -> dict[str, Any]:
    return {"end": {"items": {"games": games, "users": 0, "avatars": 0}, "objects": objects}}


def test_an_item_survives_the_archive_exactly() -> None:
    text = line({"table": "games", "item": ITEM})
    assert decode(json.loads(text)["item"]) == ITEM
    assert json.loads(text)["item"]["Blob"]["B"] == "AP8gcGljdHVyZQ=="  # base64, as DynamoDB's
    assert encode({"x": [b"\x01"]}) == {"x": ["AQ=="]}


def test_sets_in_any_order_are_the_same_item() -> None:
    shuffled = {**ITEM, "Tags": {"SS": ["a", "b"]}}
    assert canonical(shuffled) == canonical(ITEM)
    assert canonical({**ITEM, "Tags": {"SS": ["a"]}}) != canonical(ITEM)


def test_a_whole_archive_is_counted(tmp_path: Path) -> None:
    obj = {"object": "avatars/a/1/64.webp", "content_type": "image/webp", "body": "AA=="}
    path = write(
        tmp_path / "a.jsonl",
        header(),
        {"table": "games", "item": ITEM},
        obj,
        end(games=1, objects=1),
    )
    found = check(path)
    assert (found.lines, found.items["games"], found.objects) == (2, 1, 1)


def test_gzip_is_read_whatever_the_name(tmp_path: Path) -> None:
    text = line(header()) + line(end())
    (tmp_path / "a.backup").write_bytes(gzip.compress(text.encode()))
    assert check(tmp_path / "a.backup").lines == 0


BAD = [
    ("not ours", [{"hello": 1}], "not an archive of python -m tictactoe export"),
    ("a later format", [header(version=2), end()], "format version 2; this version reads 1"),
    ("cut short", [header(), {"table": "games", "item": ITEM}], "incomplete"),
    ("wrong count", [header(), {"table": "games", "item": ITEM}, end(games=2)], "incomplete"),
    ("unknown table", [header(), {"table": "ratings", "item": ITEM}, end()], "games, users"),
    ("after the end", [header(), end(), {"table": "games", "item": ITEM}], "after the end"),
    (
        "no key",
        [header(), {"table": "games", "item": {"Version": {"N": "1"}}}, end(games=1)],
        "the games item has no key",
    ),
    (
        "untyped",
        [header(), {"table": "games", "item": {"GameId": "g1"}}, end(games=1)],
        "not in DynamoDB's JSON",
    ),
    (
        "bad picture",
        [header(), {"object": "k", "body": "not base64!"}, end(objects=1)],
        "neither a table item nor a picture",
    ),
]


@pytest.mark.parametrize(("records", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_damaged_archive_is_refused(tmp_path: Path, records: list[Any], message: str) -> None:
    with pytest.raises(ArchiveError, match=message):
        check(write(tmp_path / "a.jsonl", *records), {"games": "GameId"})


def test_a_broken_gzip_or_line_is_refused(tmp_path: Path) -> None:
    whole = gzip.compress((line(header()) + line(end())).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[:-8])
    with pytest.raises(ArchiveError, match="cannot read"):
        check(tmp_path / "cut.jsonl.gz")
    (tmp_path / "junk.jsonl").write_text(line(header()) + "{not json\n")
    with pytest.raises(ArchiveError, match="line 2 is not JSON"):
        check(tmp_path / "junk.jsonl")


def test_the_checkpoint_is_the_lines_done_whatever_their_order(tmp_path: Path) -> None:
    progress, resumed = Progress.load(tmp_path / "p", "archive-1", "target")
    assert not resumed
    for number in (2, 1, 5):
        progress.finished(number)
    assert progress.done == 2 and progress.is_done(5) and not progress.is_done(3)
    progress.count("games", "written")
    progress.save()
    again, resumed = Progress.load(tmp_path / "p", "archive-1", "target")
    assert resumed and again.done == 2 and again.also_done == {5}
    assert again.outcomes == {"games": {"written": 1}}
    assert not Progress.load(tmp_path / "p", "archive-2", "target")[1]  # another archive
    assert not Progress.load(tmp_path / "p", "archive-1", "elsewhere")[1]  # another target


def test_the_bucket_holds_spending_to_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(10, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    bucket.wait()
    assert now[0] == 0  # a second's burst is there at once
    bucket.spend(50)  # a call cost far more than the burst: the next one waits the debt off
    bucket.wait()
    assert now[0] == pytest.approx(4.0)
    now[0] += 100  # idle for long: the burst stays one second's worth
    bucket.spend(20)
    bucket.wait()
    assert now[0] == pytest.approx(105.0)
    with pytest.raises(ValueError):
        TokenBucket(0)


def config(tmp_path: Path, name: str, s: Settings) -> Path:
    path = tmp_path / f"{name}.toml"
    # No session key: export and import sign no cookies, so an operator needs none.
    path.write_text(
        f'[dynamodb]\nregion = "{s.region}"\ngames_table = "{s.games_table}"\n'
        f'users_table = "{s.users_table}"\navatars_table = "{s.avatars_table}"\n'
        f'[s3]\nbucket = "{s.bucket}"\n'
    )
    return path


def test_the_commands_move_a_stack_and_report(
    moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    source = make_settings()
    play(source)
    monkeypatch.setenv("CONFIG_FILE", str(config(tmp_path, "source", source)))
    archive = tmp_path / "game.jsonl.gz"
    assert cli.main(["export", str(archive), "--pictures", "--max-rcu-per-second", "50"]) == 0
    said = capsys.readouterr().out
    assert f"exported to {archive}: " in said and ", 4 pictures" in said
    monkeypatch.setenv("CONFIG_FILE", str(config(tmp_path, "target", make_settings())))
    assert cli.main(["import", str(archive)]) == 0
    said = capsys.readouterr().out
    # 3 players, 3 claims of their names, and the one pair that finished a rated game
    assert "users: 7 written" in said and "pictures: 4 written" in said
    assert cli.main(["import", str(archive)]) == 0
    assert "users: 7 already there" in capsys.readouterr().out


def test_the_commands_refuse_clearly(
    moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CONFIG_FILE", str(config(tmp_path, "nothing-there", make_settings())))
    (tmp_path / "bad.jsonl").write_text('{"hello": 1}\n')
    assert cli.main(["import", str(tmp_path / "bad.jsonl")]) == 2
    assert "not an archive" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["export", str(tmp_path / "x.jsonl"), "--max-rcu-per-second", "0"])
    assert "must be more than 0" in capsys.readouterr().err
    assert cli.main(["export", str(tmp_path / "x.jsonl")]) == 1
    assert "there is no table" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "x.jsonl.partial").exists()
