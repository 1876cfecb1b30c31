"""A finished game's `rated` rides on the bus: a stream forwards what the finishing write said."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tictactoe.rules import notices
from tictactoe.rules.board import Game, Status

KEY = notices.key("the app's secret key")
OVER = Game(
    id="g1234567",
    host="alice",
    opponent="bob",
    status=Status.FINISHED,
    board="XXXOO----",
    turn=None,
    winner="bob",
    created_at="2026-01-01T00:00:00Z",
    updated_at="2026-01-01T00:01:00Z",
    version=6,
)


@pytest.mark.parametrize("rated", [True, False, None])
def test_a_signed_notice_carries_whether_the_game_was_rated(rated: bool | None) -> None:
    game = replace(OVER, rated=rated)
    heard = notices.decode(notices.encode(notices.changed(game), KEY), (KEY,))
    assert isinstance(heard, notices.Changed) and heard.game is not None
    assert heard.game.rated is rated


def test_a_notice_from_a_release_before_rated_carries_an_undecided_game() -> None:
    """During a deployment an older instance signs the game without `rated`: it decodes."""
    body = json.loads(notices.encode(notices.changed(OVER), KEY))
    del body["state"]["rated"], body["sig"]
    body["sig"] = notices._signature(KEY, body)
    heard = notices.decode(json.dumps(body), (KEY,))
    assert isinstance(heard, notices.Changed) and heard.game is not None
    assert heard.game.rated is None  # unknown there (null) until the game is read again
