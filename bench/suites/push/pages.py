"""The push benchmark's game pages: the scripts that time them, opening them, new games."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page

from bench.load import ApiBrowser, Player

# Before any of the page's scripts: a clock shared by all pages (epoch ms, sub-ms), and every
# EventSource the page opens timestamps its `game` events (how many marks the board has).
INIT_JS = """
(() => {
  try { performance.setResourceTimingBufferSize(100000); } catch (e) {}
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = { events: [], streams: 0, seen: {}, frame: {}, clicks: {} };
  const Real = window.EventSource;
  if (!Real) return;
  function Watched(url, options) {
    const source = new Real(url, options);
    bench.streams += 1;
    source.addEventListener("game", (event) => {
      let marks = null;
      try { marks = JSON.parse(event.data).board.filter(Boolean).length; } catch (e) {}
      bench.events.push([now(), marks]);
    });
    return source;
  }
  Watched.prototype = Real.prototype;
  Object.assign(Watched, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
  window.EventSource = Watched;
})();
"""
# Once the page is loaded: when each cell first shows a mark, and the next animation frame.
OBSERVE_JS = """
() => {
  const bench = window.__bench;
  const now = () => performance.timeOrigin + performance.now();
  const cells = [...document.querySelectorAll("#board button.cell")];
  cells.forEach((cell, i) => { if (cell.textContent.trim()) bench.seen[i] = bench.frame[i] = 0; });
  new MutationObserver(() => {
    const at = now();
    cells.forEach((cell, i) => {
      if (i in bench.seen || !cell.textContent.trim()) return;
      bench.seen[i] = at;
      requestAnimationFrame(() => { bench.frame[i] = now(); });
    });
  }).observe(document.getElementById("board"),
             { subtree: true, childList: true, characterData: true });
  return document.visibilityState;
}
"""
ENABLED_JS = """c => { const b = document.querySelector(`#board button.cell[value="${c}"]`);
  return !!b && !b.disabled; }"""
CLICK_JS = """c => { const b = document.querySelector(`#board button.cell[value="${c}"]`);
  window.__bench.clicks[c] = performance.timeOrigin + performance.now(); b.click(); }"""
SEEN_JS = "c => window.__bench.seen[c] !== undefined"
# The page plays its own moves: each of `turns` ([move number, cell, pause ms]) once its cell
# is enabled (the page shows the other player's last move), after the pause. In the page, so
# that no round trip to Python sits between two moves.
AUTOPLAY_JS = """turns => {
  const bench = window.__bench, board = document.getElementById("board");
  let next = 0, pending = false;
  const button = (c) => board.querySelector(`button.cell[value="${c}"]`);
  const tick = () => {
    if (pending || next >= turns.length) return;
    const [, cell, pause] = turns[next];
    if (button(cell).disabled) return;
    pending = true;
    setTimeout(() => {
      bench.clicks[cell] = performance.timeOrigin + performance.now();
      button(cell).click();
      next += 1;
      pending = false;
    }, pause);
  };
  new MutationObserver(tick).observe(board, { subtree: true, childList: true, attributes: true });
  tick();
}"""
# Everything a page timed: its clicks, what it saw and when, its stream's events, its moves'
# POSTs (Resource Timing: start and end, on the same clock).
READ_JS = """() => { const b = window.__bench, origin = performance.timeOrigin;
  const posts = performance.getEntriesByType("resource").filter((r) => r.name.endsWith("/moves"))
    .map((r) => [origin + r.startTime, origin + r.responseEnd]);
  return { clicks: b.clicks, seen: b.seen, frame: b.frame, events: b.events, posts }; }"""
STREAMS_JS = "() => window.__bench.streams"
CONNECTED_JS = "() => window.__bench.events.length > 0"
PROBE_JS = "id => { window.__probe = new EventSource(`/api/games/${id}/events`); }"


@dataclass
class Screen:
    """One player's game page, and what it asked for."""

    page: Page
    polls: int = 0
    stream_requests: int = 0
    visibility: str = ""
    failures: list[str] = field(default_factory=list)  # loads that had to be done again

    def close(self) -> None:
        self.page.context.close()


def open_screen(browser: Browser, url: str, player: Player, game_id: str) -> Screen:
    """Open the game page in a fresh context signed in as `player` (their session cookie)."""
    context = browser.new_context(base_url=url)
    context.add_cookies([{"name": k, "value": v, "url": url} for k, v in player.cookies.items()])
    context.add_init_script(INIT_JS)
    context.set_default_timeout(20_000)
    screen = Screen(context.new_page())
    poll_path, stream_path = f"/api/games/{game_id}", f"/api/games/{game_id}/events"

    def count(request: Any) -> None:
        path = urlsplit(request.url).path
        if request.method == "GET" and path == poll_path and request.resource_type == "fetch":
            screen.polls += 1
        elif path == stream_path or path == "/api/me/events":
            screen.stream_requests += 1

    screen.page.on("request", count)
    for _ in range(3):  # a page that did not come (a 5xx on a loaded machine) is reloaded
        answer = screen.page.goto(f"/games/{game_id}", wait_until="load")
        if answer is not None and answer.ok and screen.page.locator("#board").count():
            break
        status = answer.status if answer is not None else "no answer"
        screen.failures.append(f"{status}: {screen.page.title()}")
        screen.page.wait_for_timeout(500)
    else:
        raise RuntimeError(f"the game page did not load: {screen.failures}")
    screen.visibility = screen.page.evaluate(OBSERVE_JS)
    return screen


def streaming(screen: Screen, game_id: str, probe: bool) -> bool:
    """Wait for the page's own stream to deliver its first event; return whether it has one.

    With `probe`, a page that opened no stream gets one of ours (an EventSource like any
    other), so that the push path's latency is measured even when the page polls."""
    page = screen.page
    page.wait_for_timeout(300)  # a page opens its stream as it starts
    own = page.evaluate(STREAMS_JS) > 0
    if not own and probe:
        page.evaluate(PROBE_JS, game_id)
    if own or probe:
        page.wait_for_function(CONNECTED_JS, timeout=10_000)
    return own


def new_game(url: str, host: Player, opponent: Player) -> str:
    """Invite and accept through the API; the opponent (X) moves first."""
    inviter, invited = ApiBrowser(url, host), ApiBrowser(url, opponent)
    game = inviter.take(inviter.post("/api/games", {"opponent": opponent.name}), 201)
    invited.take(invited.post(f"/api/games/{game['id']}/accept", None), 200)
    for side in (inviter, invited):
        if side.connection is not None:
            side.connection.close()
    return str(game["id"])
