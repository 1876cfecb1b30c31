"""Set a player's games up through the API, as their own browser would: a busy home page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from .players import BrowserPlayer

_FETCH = """async ([method, path, body]) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const headers = {"X-CSRFToken": token, Accept: "application/json"};
  if (body !== null) headers["Content-Type"] = "application/json";
  const sent = body === null ? undefined : JSON.stringify(body);
  const r = await fetch(path, {method, headers, body: sent});
  return [r.status, r.status === 204 ? null : await r.json()];
}"""


def api(page: Page, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the API from `page` (its cookie and CSRF token); fail on anything but a 2xx."""
    status, answer = page.evaluate(_FETCH, [method, path, body])
    assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
    return answer


def invite(host: BrowserPlayer, guest: BrowserPlayer) -> str:
    """`host` invites `guest`; return the game's id."""
    return str(api(host.page, "POST", "/api/games", {"opponent": guest.name})["id"])


def started(host: BrowserPlayer, guest: BrowserPlayer) -> str:
    """A game `guest` accepted (the guest plays X, so it is the guest's turn); its id."""
    game_id = invite(host, guest)
    api(guest.page, "POST", f"/api/games/{game_id}/accept")
    return game_id


def move(player: BrowserPlayer, game_id: str, cell: int) -> None:
    api(player.page, "POST", f"/api/games/{game_id}/moves", {"cell": cell})


def finished(winner: BrowserPlayer, loser: BrowserPlayer) -> str:
    """A game that `loser` resigned to `winner`; its id."""
    game_id = started(winner, loser)
    api(loser.page, "POST", f"/api/games/{game_id}/resign")
    return game_id


def busy_home(me: BrowserPlayer, others: list[BrowserPlayer], finished_games: int = 3) -> None:
    """Give `me` finished games, a game on each side of the turn, and a new invitation."""
    bob, cat = others[0], others[1]
    for number in range(finished_games):
        if number % 2 == 0:
            finished(me, bob)
        else:
            finished(cat, me)
    started(me, bob)  # bob plays X: his turn
    mine = started(cat, me)  # I play X
    move(me, mine, 4)
    move(cat, mine, 0)  # my turn again
    invite(cat, me)
    me.page.goto("/")
