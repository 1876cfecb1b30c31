"""The home page's four ways to play, with JavaScript off: Play now and a game against the
computer work by plain form posts, as invitations do; the computer's seat is named with its
level, has no player page and no claim; refusals are pages with a 4xx, never 500s."""

from __future__ import annotations

import re
from typing import Any

from tests.pages.test_pages import game_id, signed_up

WAYS = ["Play now", "Play the computer", "Invite a player", "Share a challenge link"]


def headings(page: str) -> list[str]:
    return re.findall(r'<h2 id="(?:pairing|computer|invite|link)-h">([^<]+)</h2>', page)


def cells(page: str) -> str:
    """The board a page shows: nine characters of X, O and -."""
    marks = re.findall(
        r'<button class="cell[^"]*" name="cell" value="\d"[^>]*>([XO]?)</button>', page
    )
    assert len(marks) == 9
    return "".join(m or "-" for m in marks)


def test_the_home_page_offers_four_ways_to_play(app: Any) -> None:
    me = signed_up(app, "wendy")
    assert headings(me.page) == WAYS
    for action in ("/quick-play", "/computer-games", "/games", "/challenges"):
        assert f'action="{action}"' in me.page
    levels = re.findall(r'name="level" value="(\w+)"', me.page)
    assert levels == ["easy", "medium", "perfect"]
    assert re.findall(r'name="first" value="(\w+)"', me.page) == ["me", "computer"]
    assert 'placeholder="Opponent\'s username"' in me.page
    assert 'src="/static/ways.js"' in me.page


def test_a_game_against_the_computer_with_javascript_off(app: Any) -> None:
    me = signed_up(app, "carla")
    response = me.submit("/computer-games", level="easy", first="me")
    assert response.status_code == 200 and me.status() == "Your turn."
    gid = game_id(me)
    assert "Computer (easy)" in me.page and "/players/computer" not in me.page
    assert "/claim" not in me.page and "Claim the win" not in me.page
    assert "Games against the computer are not rated" in me.page  # the resign dialog

    while me.status() == "Your turn.":
        board = cells(me.page)
        me.submit(f"/games/{gid}/move", cell=board.index("-"), state=me.state())
        after = cells(me.page)
        assert after.count("X") == board.count("X") + 1
        assert after.count("O") in (board.count("O"), board.count("O") + 1)  # its reply
    assert me.status() in ("You won!", "It's a tie.", "Computer (easy) won.")

    me.get("/")
    finished = me.page.split('id="done-h"')[1]
    assert re.search(r'class="player computer">.*Computer', finished)
    assert f'href="/games/{gid}"' in finished

    me.get(f"/games/{gid}")
    me.submit(f"/games/{gid}/rematch")  # a new game at once, the marks swapped
    assert game_id(me) != gid and me.status() == "Your turn."
    assert cells(me.page).count("X") == 1 and "Computer (easy)" in me.page


def test_a_bad_level_is_a_400_page_and_starts_nothing(app: Any) -> None:
    me = signed_up(app, "bella")
    response = me.submit("/computer-games", level="impossible", first="me")
    assert response.status_code == 400 and "level must be one of" in me.page
    me.get("/")
    assert "No games in progress." in me.page


def test_play_now_with_javascript_off(app: Any) -> None:
    first, second = signed_up(app, "pria"), signed_up(app, "pablo")
    response = first.submit("/quick-play")
    assert response.status_code == 200 and "Looking for an opponent…" in first.page
    assert '<meta http-equiv="refresh" content="3">' in first.page  # it looks again by itself

    second.submit("/quick-play")  # paired at once: the game, where the first to wait is X
    gid = game_id(second)
    assert "pria's turn" in second.status()
    looked = first.get("/quick-play")  # the wait's next look goes to the game
    assert looked.status_code == 303 and f"/games/{gid}" in looked.headers["Location"]
    first.get(looked.headers["Location"])
    assert first.status() == "Your turn."


def test_a_cancelled_wait_without_javascript_ends(app: Any) -> None:
    quitter, later = signed_up(app, "quinn"), signed_up(app, "luca")
    quitter.submit("/quick-play")
    response = quitter.submit("/quick-play/cancel")
    assert response.status_code == 200 and 'id="pairing-h">Play now' in quitter.page
    quitter.get("/quick-play")
    assert "Nobody else was looking for a game just now." in quitter.page
    assert "http-equiv" not in quitter.page

    later.submit("/quick-play")  # nobody waits any more: this one waits
    assert "Looking for an opponent…" in later.page
    later.get("/quick-play")
    assert "Looking for an opponent…" in later.page
