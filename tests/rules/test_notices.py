"""The notices the push bus carries (tictactoe/rules/notices.py): values, JSON, and refusals.

The bus is shared, so decode must turn anything that is not a notice of ours into None, never
into an exception or a half-made notice.
"""

from __future__ import annotations

import json

import pytest

from tictactoe.rules import notices
from tictactoe.rules.board import Game
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
    assert notices.changed(invited) == Changed("g1234567", invited.version, ("alice", "bob"))
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


def test_a_notice_never_carries_the_record() -> None:
    text = notices.encode(Changed("g1", 4, ("alice", "bob")))
    assert set(json.loads(text)) == {"game", "version", "players"}
