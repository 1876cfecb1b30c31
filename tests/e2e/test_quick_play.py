"""Play now in real browsers: two players who press it play each other (the first to press plays
X), a reload keeps the wait, a cancelled wait is never paired; and the home page's four ways to
play, reached with Tab and used with Enter and Space alone.

The e2e group shares one stack: every test here leaves nobody waiting, or the next press in
another test would be paired with its player.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Locator, Page, Route, expect

from .conftest import PlayerFactory
from .players import BrowserPlayer
from .stack import Stack
from .test_phone_and_keyboard import DESKTOP, PHONE, fits

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

GAME_URL = re.compile(r"/games/[A-Za-z0-9_-]+(\?v=\d+)?$")
# Paired players learn of it over their stream at once; polling would take one period (2 s).
PAIRED_WITHIN_MS = 5_000


def press_play_now(player: BrowserPlayer) -> None:
    player.page.goto("/")
    player.page.get_by_role("button", name="Play now").click()


def waiting(player: BrowserPlayer) -> Locator:
    return player.page.locator("#pairing").get_by_text("Looking for an opponent…")


def pairing_state(page: Page) -> Any:
    """What the server says of this player's wait (GET /api/quick-play)."""
    return page.evaluate("fetch('/api/quick-play').then((r) => r.json())")


def stop_waiting(page: Page) -> None:
    """Leave the shared stack with nobody waiting, whatever the test got to."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    page.evaluate(
        "(token) => fetch('/api/quick-play', {method: 'DELETE', headers: {'X-CSRFToken': token}})",
        token,
    )


def test_two_players_who_press_play_now_play_each_other(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    first, second = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    try:
        press_play_now(first)
        expect(waiting(first)).to_be_visible()
        expect(first.page.locator("#pairing-left")).to_have_text(re.compile(r"^(1:00|0:[45]\d)$"))
        first.page.reload()  # the wait goes on, and the page picks it up again
        expect(waiting(first)).to_be_visible()
        assert pairing_state(first.page)["status"] == "waiting"

        press_play_now(second)  # someone is waiting: paired at once
        expect(second.page).to_have_url(GAME_URL)
        expect(first.page).to_have_url(GAME_URL, timeout=PAIRED_WITHIN_MS)
        assert first.page.url.split("?")[0] == second.page.url.split("?")[0]
    finally:
        stop_waiting(first.page)

    expect(first.status).to_have_text("Your turn.")  # waited longer: plays X, moves first
    expect(second.status).to_have_text(f"{first.name}'s turn…")
    first.cell(4).click()
    expect(second.cell(4)).to_have_text("X")
    expect(second.status).to_have_text("Your turn.")
    assert first.failures == second.failures == []


def test_a_pairing_that_lands_while_a_reload_picks_up_the_wait_is_not_missed(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    """The race a fresh clone's make test once lost: the reloaded page's GET is answered
    "waiting", the pairing lands and its news arrives before that answer does. The page must
    look again at once, not sit on "Looking for an opponent…" until its 10 s backstop."""
    first, second = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    held: list[tuple[Route, APIResponse]] = []

    def hold_the_first_look(route: Route) -> None:
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))  # the server answers now; the page waits
        else:
            route.continue_()

    try:
        press_play_now(first)
        expect(waiting(first)).to_be_visible()
        first.page.route("**/api/quick-play", hold_the_first_look)
        first.page.reload()
        for _ in range(100):  # the page's look on load has been answered "waiting"
            if held:
                break
            first.page.wait_for_timeout(50)
        assert held and held[0][1].json()["status"] == "waiting"

        press_play_now(second)
        expect(second.page).to_have_url(GAME_URL)
        game_id = second.page.url.split("/games/")[1].split("?")[0]
        # The news reached the page: its lists show the new game before the look's answer.
        expect(first.page.locator(f'a[href^="/games/{game_id}"]').first).to_be_attached()
        route, answer = held[0]
        route.fulfill(response=answer)
        expect(first.page).to_have_url(GAME_URL, timeout=3_000)  # not the 10 s backstop
        assert game_id in first.page.url
    finally:
        first.page.unroute("**/api/quick-play")
        stop_waiting(first.page)
    assert second.failures == []


# Issue 28: a page that says "Looking for an opponent…" beside a game that already exists, for
# longer than this, has missed its pairing.
LOOKING_BESIDE_ITS_GAME = 1.0
RELOADS = 20


# Kept in the tab's sessionStorage across its documents: when the Play-now card began and
# stopped saying "Looking for an opponent…" (or its page left), by the browser's clock.
LOOKING_LOG = """(() => {
  const KEY = "e2e.looking";
  const log = (what) => {
    const seen = JSON.parse(sessionStorage.getItem(KEY) || "[]");
    seen.push([what, Date.now()]);
    sessionStorage.setItem(KEY, JSON.stringify(seen));
  };
  document.addEventListener("DOMContentLoaded", () => {
    const part = document.querySelector('#pairing [data-pairing="waiting"]');
    if (!part) return;
    const looking = () => !part.hidden && part.textContent.includes("Looking for an opponent");
    let shown = looking();
    if (shown) log("shown");
    new MutationObserver(() => {
      if (looking() === shown) return;
      shown = !shown;
      log(shown ? "shown" : "hidden");
    }).observe(part, { attributes: true, childList: true, characterData: true, subtree: true });
    addEventListener("pagehide", () => { if (shown) log("hidden"); });
  });
})();"""


def press_by_api(page: Page) -> Any:
    """Press Play now from `page` without leaving it: the answer's status and JSON, and when
    it came (Date.now(), the browser's clock)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    return page.evaluate(
        """async (token) => {
          const r = await fetch('/api/quick-play', {method: 'POST',
            headers: {'X-CSRFToken': token, Accept: 'application/json'}});
          const game = await r.json();
          return {status: r.status, game, at: Date.now()};
        }""",
        token,
    )


def looking_beside(page: Page, paired_at: float) -> float:
    """How long (s) the tab showed "Looking for an opponent…" after `paired_at` (ms), from the
    log LOOKING_LOG keeps; the log is emptied for the next round."""
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('e2e.looking') || '[]')")
    page.evaluate("sessionStorage.removeItem('e2e.looking')")
    longest, since = 0.0, None
    for what, at in seen:
        if what == "shown":
            since = at
        elif since is not None:
            longest = max(longest, at - max(since, paired_at))
            since = None
    assert since is None, f"still shown: {seen}"
    return max(0.0, longest) / 1000


def test_a_waiting_page_reloaded_as_its_pairing_lands_never_misses_it(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    """Issue 28: reload a waiting page while the other player presses Play now, 20 times in a
    row, the press landing at a different point of the reload each time (0 to 1.2 s after the
    new document arrives: before the page's look, during it, before and after its stream)."""
    first, second = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    first.page.add_init_script(LOOKING_LOG)
    ends = time.monotonic() + 240  # bounded: about 5 s a round on a busy machine
    stretches = []
    try:
        for n in range(RELOADS):
            assert time.monotonic() < ends, f"only {n} rounds within the time allowed"
            first.page.goto("/")
            first.page.get_by_role("button", name="Play now").click()
            expect(waiting(first)).to_be_visible()
            first.page.reload(wait_until="commit")
            time.sleep((n % 5) * 0.3)
            pressed = press_by_api(second.page)
            assert pressed["status"] == 201, pressed  # paired with the waiting player
            expect(first.page).to_have_url(re.compile(pressed["game"]["id"]), timeout=10_000)
            stretches.append(looking_beside(first.page, pressed["at"]))
    finally:
        stop_waiting(first.page)
        stop_waiting(second.page)
    shown = " ".join(f"{s:.2f}" for s in stretches)
    with (artifacts / "push.txt").open("a") as out:  # for people to read; xdist hides prints
        out.write(f"{time.strftime('%H:%M:%S')} 'Looking' beside its game (s): {shown}\n")
    assert max(stretches) <= LOOKING_BESIDE_ITS_GAME, shown
    assert first.failures == second.failures == []


def test_a_cancelled_wait_is_never_paired(whole_stack: Stack, players: PlayerFactory) -> None:
    quitter, later = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    try:
        press_play_now(quitter)
        expect(waiting(quitter)).to_be_visible()
        quitter.page.get_by_role("button", name="Cancel").click()
        expect(quitter.page.get_by_role("button", name="Play now")).to_be_visible()
        expect(waiting(quitter)).to_be_hidden()
        assert pairing_state(quitter.page) == {"status": "idle"}

        press_play_now(later)  # the only other player stopped waiting: this one waits
        expect(waiting(later)).to_be_visible()
        assert pairing_state(later.page)["status"] == "waiting"
        assert pairing_state(quitter.page) == {"status": "idle"}
        later.page.wait_for_timeout(2_500)  # a poll period, and still nobody to play
        expect(waiting(later)).to_be_visible()
        assert GAME_URL.search(later.page.url) is None
    finally:
        for player in (quitter, later):
            stop_waiting(player.page)
    assert quitter.failures == later.failures == []


def test_a_home_load_asks_about_a_wait_only_while_one_is_remembered(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    me = players(whole_stack.url).sign_up()
    asked: list[str] = []
    me.page.on("request", lambda r: asked.append(r.method) if "/api/quick-play" in r.url else None)

    def load_home() -> None:
        asked.clear()
        me.page.goto("/")
        expect(me.page.locator("#pairing")).to_be_attached()
        me.page.wait_for_timeout(1_000)  # the script's look on load has gone, if it was to

    try:
        load_home()
        assert asked == []  # nothing remembered: the home page costs no read for Play now
        me.page.get_by_role("button", name="Play now").click()
        expect(waiting(me)).to_be_visible()
        load_home()  # a wait remembered: looked up once, and picked up again
        expect(waiting(me)).to_be_visible()
        assert asked[:1] == ["GET"]
        me.page.get_by_role("button", name="Cancel").click()
        expect(waiting(me)).to_be_hidden()
        load_home()
        assert asked == []
    finally:
        stop_waiting(me.page)
    assert me.failures == []


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until `target` has the focus, and check that the focus shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            ring = target.evaluate(
                "(el) => { const ring = el.type === 'radio' ? el.closest('label') : el;"
                " const s = getComputedStyle(ring);"
                " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"
            )
            assert ring, f"no visible focus on {target}"
            return
    raise AssertionError(f"Tab never reached {target}")


# Each control Tab stops at, named as a player hears it (radio groups are one stop each).
_FOCUSED = """() => { const el = document.activeElement;
  return (el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.placeholder
    || el.textContent).trim(); }"""
WAYS = [
    "Play now",
    "Easy",
    "Me",
    "Play the computer",
    "Opponent's username",
    "Invite",
    "Create a challenge link",
]


def test_the_four_ways_to_play_work_from_the_keyboard(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    me, friend = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    page = me.page
    role = page.get_by_role

    def from_the_top() -> None:
        page.goto("/")
        page.locator("body").focus()  # Tab starts from the top of the page

    from_the_top()
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(_FOCUSED))
    assert [s for s in stops if s in WAYS] == WAYS, stops  # in the order they read

    from_the_top()  # 1. Play now: Enter presses it, Space cancels
    tab_to(page, role("button", name="Play now"))
    try:
        page.keyboard.press("Enter")
        expect(waiting(me)).to_be_visible()
        expect(role("button", name="Cancel")).to_be_focused()  # the keyboard's place follows
        page.keyboard.press(" ")
        expect(role("button", name="Play now")).to_be_focused()
    finally:
        stop_waiting(page)
    assert pairing_state(page) == {"status": "idle"}

    # 2. The computer: arrows choose in each group, Tab moves on, Space starts.
    tab_to(page, role("radio", name="Easy", exact=True))
    page.keyboard.press("ArrowRight")
    expect(role("radio", name="Medium", exact=True)).to_be_checked()
    tab_to(page, role("radio", name="Me", exact=True), limit=1)
    page.keyboard.press("ArrowRight")
    expect(role("radio", name="The computer", exact=True)).to_be_checked()
    tab_to(page, role("button", name="Play the computer"), limit=1)
    page.keyboard.press(" ")
    expect(page.locator(".players")).to_contain_text("Computer (medium)")
    expect(me.status).to_have_text("Your turn.")
    assert me.board().count("X") == 1  # the computer played first, as X

    from_the_top()  # 3. an invitation by name: type it, Enter sends it
    tab_to(page, page.get_by_placeholder("Opponent's username"))
    page.keyboard.type(friend.name)
    page.keyboard.press("Enter")
    expect(me.status).to_have_text(f"Waiting for {friend.name} to accept…")

    from_the_top()  # 4. a challenge link: Enter creates it
    tab_to(page, role("button", name="Create a challenge link"))
    page.keyboard.press("Enter")
    expect(me.status).to_have_text("Your challenge is open: send the link to a friend.")

    page.goto("/")  # the home page lists the three games; it reads at both widths
    expect(page.locator(".row", has_text="Computer (medium)")).to_be_visible()
    for width, height in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": height})
        fits(page)
        me.screenshot(artifacts / f"home-ways-{width}.png")
    assert me.failures == friend.failures == []
