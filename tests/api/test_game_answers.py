"""Every API answer that carries a game is the answer a poll of that game gets, on moto.

Starting, answering, moving, resigning, a rematch, a challenge, the computer and Play now all
hand back the game: the same JSON as GET /api/games/<id>, the same ETag naming its state, and
the same caching (revalidate, privately), so a client may treat any of them as a fresh poll.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.players import ApiPlayer

Started = tuple[ApiPlayer, Any]  # who asked, and the answer that carries the game


def invited(player: Any) -> Started:
    host, guest = player(), player()
    return host, host.call("POST", "/api/games", {"opponent": guest.name})


def accepted(player: Any) -> Started:
    host, guest = player(), player()
    game = host.invite(guest)
    return guest, guest.call("POST", f"/api/games/{game['id']}/accept")


def moved(player: Any) -> Started:
    host, guest = player(), player()
    game = guest.accept(host.invite(guest))
    mover = host if game["turn"] == host.name else guest
    return mover, mover.move(game, 4)


def resigned(player: Any) -> Started:
    host, guest = player(), player()
    game = guest.accept(host.invite(guest))
    return host, host.call("POST", f"/api/games/{game['id']}/resign")


def rematched(player: Any) -> Started:
    host, guest = player(), player()
    game = guest.accept(host.invite(guest))
    guest.call("POST", f"/api/games/{game['id']}/resign")
    return host, host.call("POST", f"/api/games/{game['id']}/rematch")


def challenged(player: Any) -> Started:
    host = player()
    return host, host.call("POST", "/api/challenges")


def against_the_computer(player: Any) -> Started:
    me = player()
    return me, me.call("POST", "/api/computer-games", {"level": "easy", "first": "me"})


def paired(player: Any) -> Started:
    waiting, pressing = player(), player()
    assert waiting.call("POST", "/api/quick-play").status_code == 202
    return pressing, pressing.call("POST", "/api/quick-play")


@pytest.mark.parametrize(
    ("start", "status"),
    [
        (invited, 201),
        (accepted, 200),
        (moved, 200),
        (resigned, 200),
        (rematched, 201),
        (challenged, 201),
        (against_the_computer, 201),
        (paired, 201),
    ],
)
def test_an_answer_with_a_game_is_what_a_poll_of_it_gets(
    player: Any, start: Callable[[Any], Started], status: int
) -> None:
    who, answer = start(player)
    assert answer.status_code == status, answer.get_json()
    game = answer.get_json()
    polled = who.client.get(f"/api/games/{game['id']}")
    assert polled.status_code == 200
    assert game == polled.get_json()
    assert answer.headers["ETag"] == polled.headers["ETag"]
    assert answer.headers["Cache-Control"] == polled.headers["Cache-Control"]
    assert answer.headers["Cache-Control"] == "private, no-cache"
    again = who.client.get(
        f"/api/games/{game['id']}", headers={"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304  # the answer's ETag is good for revalidating
