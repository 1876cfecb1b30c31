"""The players issue's pages with JavaScript off: rematch, resign, claim, challenge links,
player pages and the leaderboard, all by plain form posts; refusals are pages, never 500s."""

from __future__ import annotations

import re
from typing import Any

from tests.pages.test_pages import Browser, game_id, signed_up

WIN = [0, 3, 1, 4, 2]  # X takes the top row


def play(x: Browser, o: Browser, gid: str, cells: list[int]) -> None:
    for number, cell in enumerate(cells):
        who = x if number % 2 == 0 else o
        who.get(f"/games/{gid}")
        assert who.submit(f"/games/{gid}/move", cell=cell, state=who.state()).status_code == 200


def started(app: Any, host_name: str, guest_name: str) -> tuple[Browser, Browser, str]:
    """The host invited the guest, who accepted: the guest plays X."""
    host, guest = signed_up(app, host_name), signed_up(app, guest_name)
    host.submit("/games", opponent=guest_name)
    gid = game_id(host)
    guest.submit(f"/games/{gid}/accept")
    return host, guest, gid


def win_cells(page: str) -> list[int]:
    return [int(c) for c in re.findall(r'class="cell [xo] win" name="cell" value="(\d)"', page)]


def test_a_finished_game_shows_its_line_and_a_rematch_that_swaps_the_marks(app: Any) -> None:
    host, guest, gid = started(app, "rhea", "rory")
    play(guest, host, gid, WIN)
    assert guest.status() == "You won!" and win_cells(guest.page) == [0, 1, 2]
    assert "Replay the game" in guest.page  # the replay's controls, brought to life by JS
    host.get(f"/games/{gid}")
    assert "Rematch</button>" in host.page
    host.submit(f"/games/{gid}/rematch")  # the loser asks: a new invitation, host plays X
    rematch_id = game_id(host)
    assert rematch_id != gid and "Waiting for rory to accept" in host.status()

    guest.get(f"/games/{gid}")
    assert "rhea wants a rematch." in guest.page and "Accept rematch</button>" in guest.page
    guest.submit(f"/games/{gid}/rematch")  # accepts the one that exists
    assert game_id(guest) == rematch_id and "rhea's turn" in guest.status()
    host.get(f"/games/{rematch_id}")
    assert host.status() == "Your turn."  # O before, X now: moves first
    host.get(f"/games/{gid}")
    assert f'href="/games/{rematch_id}"' in host.page and "Go to the rematch" in host.page


def test_pressing_rematch_on_a_stale_page_joins_the_rematch_already_asked_for(app: Any) -> None:
    host, guest, gid = started(app, "sara", "sven")
    play(guest, host, gid, WIN)
    host.get(f"/games/{gid}")
    guest.get(f"/games/{gid}")  # both look at the finished game, neither has asked yet
    host.submit(f"/games/{gid}/rematch")
    rematch_id = game_id(host)
    assert guest.submit(f"/games/{gid}/rematch").status_code == 200  # from the stale page
    assert game_id(guest) == rematch_id and "sara's turn" in guest.page


def test_resigning_asks_first_and_the_other_player_wins(app: Any) -> None:
    host, guest, gid = started(app, "rita", "remy")
    guest.get(f"/games/{gid}")
    assert f'href="/games/{gid}/resign"' in guest.page and 'id="resign-dialog"' in guest.page
    guest.get(f"/games/{gid}/resign")  # the confirm step, for browsers without JavaScript
    assert "Resign this game?" in guest.page and "rita wins" in guest.page
    guest.submit(f"/games/{gid}/resign")
    assert guest.status() == "rita won."
    host.get(f"/games/{gid}")
    assert host.status() == "You won!" and "Rematch</button>" in host.page
    response = host.submit(f"/games/{gid}/resign")  # over: a 409 page saying so
    assert response.status_code == 409 and 'class="error"' in host.page


def test_the_win_can_be_claimed_only_once_the_opponent_ran_out_of_time(app: Any) -> None:
    host, guest, gid = started(app, "cato", "cleo")  # cleo (X) is to move, cato waits
    host.get(f"/games/{gid}")
    assert "Claim the win" not in _shown(host.page)
    response = host.submit(f"/games/{gid}/claim")  # too early: a page says when
    assert response.status_code == 409 and 'class="error"' in host.page
    games = app.extensions["tictactoe"].games
    later = games.clock() + app.extensions["tictactoe"].settings.turn_timeout_seconds + 1
    games.clock = lambda: later
    host.get(f"/games/{gid}")
    assert "Claim the win" in _shown(host.page)
    guest.get(f"/games/{gid}")
    assert "Claim the win" not in _shown(guest.page)  # it is cleo's own turn
    host.submit(f"/games/{gid}/claim")
    assert host.status() == "You won!"


def test_a_challenge_link_is_shared_joined_once_and_listed_until_then(app: Any) -> None:
    host = signed_up(app, "chad")
    host.get("/")
    host.submit("/challenges")
    gid = game_id(host)
    assert "Your challenge is open" in host.status()
    assert f'value="http://localhost/games/{gid}" readonly' in host.page  # the link to copy
    host.get("/")
    assert f'value="http://localhost/games/{gid}"' in host.page and "Withdraw</button>" in host.page

    taker, late = signed_up(app, "tess"), signed_up(app, "tobi")
    taker.get(f"/games/{gid}")
    assert "Join chad's game</button>" in taker.page
    late.get(f"/games/{gid}")
    taker.submit(f"/games/{gid}/accept")
    assert taker.status() == "Your turn."  # the taker plays X
    assert late.submit(f"/games/{gid}/accept").status_code == 409  # taken already: a page


def test_an_open_challenge_can_be_withdrawn(app: Any) -> None:
    host = signed_up(app, "wes")
    host.get("/")
    host.submit("/challenges")
    gid = game_id(host)
    host.submit(f"/games/{gid}/cancel")
    assert f"/games/{gid}" not in host.page


def test_player_pages_and_the_leaderboard_show_counts_and_ratings(app: Any) -> None:
    host, guest, gid = started(app, "lara", "leo")
    play(guest, host, gid, WIN)
    host.get("/players/leo")
    assert "<h1" in host.page and ">leo</h1>" in host.page
    assert 'class="rating-value">1216<' in host.page
    assert "<dt>Wins</dt><dd>1</dd>" in host.page and "<dt>Losses</dt><dd>0</dd>" in host.page
    assert "Invite leo to a game" in host.page
    host.get("/players/lara")
    assert 'class="rating-value">1184<' in host.page and "Change your picture</a>" in host.page
    host.get("/leaderboard")
    rows = re.findall(r'href="/players/(\w+)"', host.page.split("<tbody>")[1])
    assert rows[:2] == ["leo", "lara"]
    assert host.get("/players/nobody-here").status_code == 404


def test_every_name_on_the_home_page_links_to_its_player(app: Any) -> None:
    host, guest, gid = started(app, "nina", "ned")
    host.get("/")
    assert 'href="/players/ned"' in host.page and f'href="/games/{gid}"' in host.page
    host.get(f"/games/{gid}")
    assert 'href="/players/ned"' in host.page and 'href="/players/nina"' in host.page


def _shown(page: str) -> str:
    """The page without the elements it renders hidden."""
    return re.sub(r"<form [^>]*\bhidden\b[^>]*>.*?</form>", "", page, flags=re.S)
