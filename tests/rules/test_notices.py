"""The notices the push bus carries (tictactoe/rules/notices.py): values, JSON, and refusals.

The bus is shared, so decode must turn anything that is not a notice of ours into None, never
into an exception or a half-made notice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tictactoe.rules import computer, notices
from tictactoe.rules.board import Game, Status
from tictactoe.rules.notices import Changed, Gone, Revoked

NOTICES = [
    Changed("g1234567", 0, ()),
    Changed("g1234567", 7, ("alice", "bob")),
    Changed("challenge1", 1, ("alice",)),  # an open challenge: no opponent yet
    Gone("g1234567", ("alice", "bob")),
    Gone("g1234567", ()),
    Revoked("alice", 3),
    Revoked("alice", 0),
    Revoked("alice", None),  # the account is gone: every session
    Changed("ünï-cødé_id", 2, ("Zoë", "名前")),
]


@pytest.mark.parametrize("notice", NOTICES, ids=repr)
def test_every_notice_survives_the_round_trip(notice: notices.Notice) -> None:
    text = notices.encode(notice)
    assert isinstance(text, str)
    json.loads(text)  # JSON, for any other reader of the channel
    assert notices.decode(text) == notice
    assert notices.decode(text.encode()) == notice  # redis hands over bytes


def test_a_game_names_its_players_and_version() -> None:
    invited = Game.invitation("g1234567", "alice", "bob", "2026-01-01T00:00:00Z")
    assert notices.changed(invited) == Changed(
        "g1234567", invited.version, ("alice", "bob"), invited
    )
    assert notices.gone(invited) == Gone("g1234567", ("alice", "bob"))
    open_challenge = Game.invitation("c1234567", "alice", None, "2026-01-01T00:00:00Z")
    assert notices.changed(open_challenge).players == ("alice",)


MALFORMED = [
    "",
    "not json",
    "{",
    "null",
    "[]",
    '"a string"',
    "42",
    "{}",
    '{"unknown": "x"}',
    # a change without a usable version
    '{"game": "g1", "players": []}',
    '{"game": "g1", "version": "3", "players": []}',
    '{"game": "g1", "version": -1, "players": []}',
    '{"game": "g1", "version": 1.5, "players": []}',
    '{"game": "g1", "version": true, "players": []}',
    '{"game": "g1", "version": null, "players": []}',
    '{"game": 5, "version": 1, "players": []}',
    # players that are not a list of names
    '{"game": "g1", "version": 1, "players": "alice"}',
    '{"game": "g1", "version": 1, "players": ["alice", 3]}',
    '{"game": "g1", "version": 1, "players": [null]}',
    '{"game": "g1", "version": 1, "players": {"alice": 1}}',
    '{"gone": "g1", "players": [["alice"]]}',
    '{"gone": 7, "players": []}',
    '{"gone": null}',
    # revocations without a player or with an epoch that is not a whole number
    '{"revoked": "alice", "epoch": "3"}',
    '{"revoked": "alice", "epoch": -2}',
    '{"revoked": "alice", "epoch": 2.0}',
    '{"revoked": "alice", "epoch": false}',
    '{"revoked": 1, "epoch": 1}',
    '{"revoked": null, "epoch": 1}',
]


@pytest.mark.parametrize("text", MALFORMED)
def test_anything_malformed_decodes_to_none(text: str) -> None:
    assert notices.decode(text) is None


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00", b"\x80abc", b'{"game": "\xc3"}'])
def test_bytes_that_are_not_utf8_decode_to_none(raw: bytes) -> None:
    assert notices.decode(raw) is None


def test_a_revocation_without_an_epoch_means_every_session() -> None:
    assert notices.decode('{"revoked": "alice"}') == Revoked("alice", None)
    assert notices.decode('{"revoked": "alice", "epoch": null}') == Revoked("alice", None)


def test_missing_players_mean_none_and_extra_fields_are_ignored() -> None:
    assert notices.decode('{"game": "g1", "version": 2}') == Changed("g1", 2, ())
    extra = '{"game": "g1", "version": 2, "players": ["a"], "board": "X--------", "v": 9}'
    assert notices.decode(extra) == Changed("g1", 2, ("a",))


KEY = notices.key("the app's secret key")
OLD_KEY = notices.key("the key before the last rotation")
PLAYED = replace(
    Game.invitation("g1234567", "alice", "bob", "2026-01-01T00:00:00Z", ("ab12", None), 99),
    status=Status.IN_PROGRESS,
    board="X---O----",
    turn="bob",
    version=3,
    moves=(0, 4),
    updated_at="2026-01-01T00:01:00Z",
    x_is_host=True,
)


def test_a_signed_notice_carries_the_game_as_written() -> None:
    text = notices.encode(notices.changed(PLAYED), KEY)
    assert notices.decode(text, (KEY,)) == Changed("g1234567", 3, ("alice", "bob"), PLAYED)
    assert notices.decode(text, (OLD_KEY, KEY)) == notices.changed(PLAYED)  # after a rotation


def test_without_a_key_a_notice_names_the_change_only() -> None:
    text = notices.encode(notices.changed(PLAYED))
    assert set(json.loads(text)) == {"game", "version", "players"}
    assert notices.decode(text, (KEY,)) == Changed("g1234567", 3, ("alice", "bob"))


def _forged(change: Callable[[dict[str, Any]], None]) -> str:
    body = json.loads(notices.encode(notices.changed(PLAYED), KEY))
    change(body)
    return json.dumps(body)


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["state"].update(board="XXX-O-O--"),  # a board the game never had
        lambda b: b["state"].update(winner="bob"),
        lambda b: b.update(version=4),  # the state relabelled as a newer version
        lambda b: b.update(game="other123"),  # another game's state
        lambda b: b.update(sig="0" * 64),
        lambda b: b.pop("sig"),
        lambda b: b.update(state="X--------"),
    ],
)
def test_a_state_not_signed_by_the_app_is_dropped(change: Callable[[dict[str, Any]], None]) -> None:
    found = notices.decode(_forged(change), (KEY,))
    assert isinstance(found, Changed) and found.game is None  # the forwarder reads the table


def test_a_state_signed_with_another_key_is_dropped() -> None:
    text = notices.encode(notices.changed(PLAYED), notices.key("someone else's key"))
    found = notices.decode(text, (KEY,))
    assert isinstance(found, Changed) and found.game is None
    assert notices.decode(text) == Changed("g1234567", 3, ("alice", "bob"))  # no keys: no game


def test_a_newer_release_s_extra_fields_are_ignored() -> None:
    def add_field(body: dict[str, Any]) -> None:
        body["state"]["shiny"] = 1
        body["sig"] = hmac.new(
            KEY,
            json.dumps(
                {k: v for k, v in body.items() if k != "sig"}, sort_keys=True, separators=(",", ":")
            ).encode(),
            hashlib.sha256,
        ).hexdigest()

    found = notices.decode(_forged(add_field), (KEY,))
    assert isinstance(found, Changed) and found.game == PLAYED


def test_the_computer_s_level_goes_on_the_bus_as_computer_and_comes_back() -> None:
    game = computer.new_game("g7654321", "alice", "perfect", "2026-01-01T00:00:00Z", 4)
    body = json.loads(notices.encode(notices.changed(game), KEY))
    assert body["state"]["computer"] == "perfect" and "level" not in body["state"]
    found = notices.decode(json.dumps(body), (KEY,))
    assert isinstance(found, Changed) and found.game == game and found.game.level == "perfect"
