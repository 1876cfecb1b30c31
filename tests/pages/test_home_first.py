"""The home page puts what waits for the player first, and every row says when (issue 28, 5);
the game page offers "Tell me when it's my turn" (section 3). Markup, with JavaScript off."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.pages.test_pages import Browser, game_id, signed_up
from tests.pages.test_play import WIN, play, started
from tictactoe.store.lists import LIST_LENGTH
from tictactoe.web.pages.when import ago, full_time

NOW = datetime(2026, 12, 7, 21, 30, tzinfo=UTC)
TIME = re.compile(r'<time class="when" datetime="([^"]+)" title="([^"]+)">([^<]+)</time>')


def needs(page: str) -> list[str]:
    """What the bar at the top lists, in words, in order ("" if there is no bar shown)."""
    bar = re.search(r'<section id="needs"([^>]*)>(.*?)</section>', page, re.S)
    assert bar, "the home page has no bar for what waits"
    if "hidden" in bar.group(1):
        return []
    items = re.findall(r'<a class="need"[^>]*>(.*?)</a>', bar.group(2), re.S)
    return [html.unescape(re.sub(r"<[^>]+>|\s+", " ", i)).strip().replace("  ", " ") for i in items]


def test_what_waits_comes_before_the_ways_to_start_a_game(app: Any) -> None:
    host, guest, gid = started(app, "hedy", "gwen")  # gwen plays X: her turn
    cara = signed_up(app, "cara")
    cara.submit("/games", opponent="gwen")
    guest.get("/")
    assert needs(guest.page) == ["cara invited you", "Your turn against hedy"]
    assert guest.page.index('id="needs"') < guest.page.index("Start a game</h1>")
    links = re.findall(r'<a class="need" href="(/games/[^"]+)"', guest.page)
    assert links[1] == f"/games/{gid}"

    host.get("/")  # hedy: her opponent's turn, nothing waits
    assert needs(host.page) == []
    play(guest, host, gid, WIN[:1])
    host.get("/")
    assert needs(host.page) == ["Your turn against gwen"]


def test_more_than_three_waiting_link_to_the_lists(app: Any) -> None:
    me = signed_up(app, "mona")
    for name in ("ivan", "jude", "kurt", "lena", "milo"):
        signed_up(app, name).submit("/games", opponent="mona")
    me.get("/")
    assert len(needs(me.page)) == 3
    assert re.search(r'<li class="needs-more"><a href="#invites-h">2 more</a></li>', me.page)


def test_every_row_says_when_its_game_last_changed(app: Any) -> None:
    host, guest, gid = started(app, "tess", "theo")
    play(guest, host, gid, WIN)
    guest.submit("/games", opponent="tess")
    for who in (host, guest):
        who.get("/")
        times = re.findall(TIME, who.page)
        rows = len(re.findall(r'<div class="row[^"]*" data-game=', who.page))
        assert len(times) >= rows >= 2, who.page
        assert all(text == "just now" and title.endswith(" UTC") for _, title, text in times)
        assert all(datetime.fromisoformat(at.replace("Z", "+00:00")) for at, _, _ in times)


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (timedelta(seconds=-5), "just now"),  # a clock a little ahead
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=2, seconds=5), "2 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=1, hours=2), "1 day ago"),
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=40), "28 Oct 2026"),
    ],
)
def test_ago_says_how_long_ago_in_a_rows_words(before: timedelta, said: str) -> None:
    iso = (NOW - before).isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert ago(iso, NOW) == said


def test_the_full_time_is_in_utc() -> None:
    assert full_time("2026-12-07T09:05:00.000000Z") == "7 Dec 2026, 09:05 UTC"


def test_the_game_page_offers_the_nudge_until_the_game_is_over(app: Any) -> None:
    host, guest, gid = started(app, "nora", "nils")
    nudge = re.compile(
        r'<button type="button" id="nudge" class="toggle secondary" aria-pressed="false" hidden>'
        r"Tell me when it's my turn</button>"
    )
    guest.get(f"/games/{gid}")
    assert nudge.search(guest.page), "hidden until nudge.js finds the browser can notify"
    assert "nudge.js" in guest.page
    play(guest, host, gid, WIN)
    guest.get(f"/games/{gid}")
    assert not nudge.search(guest.page)


def test_the_home_page_offers_the_nudge(app: Any) -> None:
    me = Browser(app)
    me.get("/")
    assert 'id="nudge"' not in me.page  # signed out: the welcome page
    me = signed_up(app, "otis")
    me.get("/")
    assert 'id="nudge"' in me.page and "nudge.js" in me.page


def finished_rows(page: str) -> int:
    rows = re.search(r'<div data-list="finished">(.*?)</div>\s*<p class="empty"', page, re.S)
    assert rows, "no list of finished games"
    return rows.group(1).count("data-game=")


def test_a_full_list_links_to_the_rest(app: Any) -> None:
    host, guest = signed_up(app, "fern"), signed_up(app, "finn")
    for _ in range(LIST_LENGTH + 1):
        host.submit("/games", opponent="finn")
        gid = game_id(host)
        guest.submit(f"/games/{gid}/accept")
        guest.submit(f"/games/{gid}/resign")
    host.get("/")
    finished = re.search(
        r'<div data-list="finished">(.*?)</div>\s*<p class="empty"', host.page, re.S
    )
    assert finished and finished.group(1).count("data-game=") == LIST_LENGTH
    link = (
        '<p class="more" data-more-of="finished"><a href="/?more=1#done-h">More finished games</a>'
    )
    assert link in host.page
    assert '<p class="more" data-more-of="invites" hidden>' in host.page  # none to show

    host.get("/?more=1")
    finished = re.search(
        r'<div data-list="finished">(.*?)</div>\s*<p class="empty"', host.page, re.S
    )
    assert finished and finished.group(1).count("data-game=") == LIST_LENGTH + 1
    assert '<p class="more" data-more-of="finished" hidden>' in host.page
    assert 'data-length="50" data-more="1"' in host.page  # home.js reads as many, with ?more=1

    api = host.client.get("/api/games?more=1", headers={"Accept": "application/json"})
    assert len(api.get_json()["finished"]) == LIST_LENGTH + 1
    plain = host.client.get("/api/games?more=yes", headers={"Accept": "application/json"})
    assert len(plain.get_json()["finished"]) == LIST_LENGTH  # any other value: the usual lists
