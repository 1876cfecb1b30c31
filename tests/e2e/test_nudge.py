"""A nudge when it is your turn (issue 28, section 3), in Chromium on the two-instance stack.

The page is hidden by an init script that overrides `document.hidden` and
`document.visibilityState` (and fires `visibilitychange`), so that the page's own code reads
`document.hidden === true`, which each test checks. Headless Chromium never hides a page by
itself: a second page in front leaves the first "visible". The same script wraps
`window.Notification` so that each construction is recorded (in sessionStorage, so that a page
that moves on keeps the record) and then made by the real constructor, and counts the calls
of `Notification.requestPermission`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PlayerFactory
from .players import SEE_MOVE_WITHIN, BrowserPlayer
from .scenes import api, invite
from .stack import Stack
from .test_faults import new_game
from .test_push import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

NUDGE = "Tell me when it's my turn"
WITHIN = SEE_MOVE_WITHIN + 2.0  # a stream's news, or a poll's, and the page's reaction

_HIDE_AND_RECORD = """(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(Document.prototype, "visibilityState",
    { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  window.__hide = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  const Real = window.Notification;
  if (!Real) return;
  const record = (what) => {
    const kept = JSON.parse(sessionStorage.getItem("__nudge") || "[]");
    kept.push(what);
    sessionStorage.setItem("__nudge", JSON.stringify(kept));
  };
  window.Notification = class extends Real {
    constructor(title, options) {
      record({ title, tag: (options || {}).tag, at: location.pathname });
      super(title, options);
    }
  };
  const ask = Real.requestPermission.bind(Real);
  window.Notification.requestPermission = (...args) => {
    record({ asked: true });
    return ask(...args);
  };
})();"""


def watched(player: BrowserPlayer, granted: bool = True) -> BrowserPlayer:
    """Hide-able pages that record notifications; the permission granted if `granted`."""
    player.context.add_init_script(_HIDE_AND_RECORD)
    if granted:
        origin = player.page.url.split("/", 3)[:3]
        player.context.grant_permissions(["notifications"], origin="/".join(origin))
    return player


def notes(player: BrowserPlayer) -> list[dict[str, Any]]:
    """What the player's tab recorded: notifications made, and permission asked for."""
    return json.loads(player.page.evaluate("sessionStorage.getItem('__nudge') || '[]'"))


def titles(player: BrowserPlayer) -> list[str]:
    return [n["title"] for n in notes(player) if "title" in n]


def hide(player: BrowserPlayer) -> None:
    player.page.evaluate("window.__hide(true)")
    assert player.page.evaluate("document.hidden") is True


def turn_on(player: BrowserPlayer) -> None:
    button = player.page.get_by_role("button", name=NUDGE)
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def test_a_hidden_game_page_says_your_turn_in_a_notification(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    x, o = new_game(whole_stack, players)  # x (the guest) is to move
    watched(o)
    o.page.reload()  # under the init script, with the permission
    expect(o.page.get_by_role("button", name=NUDGE)).to_be_visible()
    assert notes(o) == [], "nothing asked or shown on load"
    turn_on(o)
    assert not any(n.get("asked") for n in notes(o)), "granted already: nothing to ask"
    hide(o)
    expect(x.cell(4)).to_be_enabled(timeout=WITHIN * 1000)
    x.cell(4).click()
    wait_until(o, lambda: bool(titles(o)), WITHIN, "a notification on the hidden page")
    assert titles(o) == [f"Your turn against {x.name}"]
    expect(o.page).to_have_title(f"Your turn · {o.name} vs {x.name} · Tic-Tac-Toe")

    o.page.evaluate("window.__hide(false)")  # seen: the next move, while visible, says nothing
    o.cell(0).click()
    expect(x.cell(0)).to_have_text("O", timeout=WITHIN * 1000)
    x.cell(8).click()
    expect(o.cell(8)).to_have_text("X", timeout=WITHIN * 1000)
    assert titles(o) == [f"Your turn against {x.name}"]
    for mover, watcher, cell in ((o, x, 1), (x, o, 2), (o, x, 3), (x, o, 6)):  # X: 2, 4, 6
        expect(mover.cell(cell)).to_be_enabled(timeout=WITHIN * 1000)
        mover.cell(cell).click()
        expect(watcher.cell(cell)).not_to_have_text("", timeout=WITHIN * 1000)
    for page in (o.page, x.page):  # no turn left to tell of, on the winner's page or the other
        expect(page.locator("#nudge")).to_have_count(0)
    assert o.failures == x.failures == []


def test_the_choice_is_kept_and_can_be_taken_back(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    x, o = new_game(whole_stack, players)
    watched(o)
    o.page.reload()
    turn_on(o)
    o.page.reload()  # the choice is the browser's, not the page's
    button = o.page.get_by_role("button", name=NUDGE)
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()  # off again
    expect(button).to_have_attribute("aria-pressed", "false")
    hide(o)
    x.cell(4).click()
    expect(o.cell(4)).to_have_text("X", timeout=WITHIN * 1000)
    expect(o.page).to_have_title(f"Your turn · {o.name} vs {x.name} · Tic-Tac-Toe")
    assert titles(o) == []


def test_the_permission_is_asked_on_the_click_never_on_load(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    x, o = new_game(whole_stack, players)
    watched(o, granted=False)
    o.page.reload()
    button = o.page.get_by_role("button", name=NUDGE)
    expect(button).to_be_visible()
    assert notes(o) == [], "the permission is not asked on load"
    button.click()
    wait_until(o, lambda: any(n.get("asked") for n in notes(o)), 5, "the permission asked")
    # Headless Chromium leaves the question undecided ("default"): nothing is on, and the
    # button stays, to ask again.
    assert o.page.evaluate("Notification.permission") == "default"
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_be_visible()

    # Refused in the browser's settings (set over CDP, as the site settings page would): the
    # button is gone, and a quiet line says why.
    origin = "/".join(o.page.url.split("/", 3)[:3])
    cdp = o.context.new_cdp_session(o.page)
    browser_context = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    denied = {"permission": {"name": "notifications"}, "setting": "denied", "origin": origin}
    cdp.send("Browser.setPermission", {**denied, "browserContextId": browser_context})
    o.page.reload()
    assert o.page.evaluate("Notification.permission") == "denied"
    expect(button).to_be_hidden()
    note = o.page.locator("#nudge-note")
    expect(note).to_have_text("Notifications are blocked for this site in your browser's settings.")
    expect(note).to_have_class("hint")  # quiet: not an alert
    assert x.failures == o.failures == []


def test_the_home_page_notifies_an_invitation_and_a_play_now_pairing(
    whole_stack: Stack, players: PlayerFactory
) -> None:
    host, guest = players(whole_stack.url).sign_up(), players(whole_stack.url).sign_up()
    watched(guest)
    guest.page.goto("/")
    turn_on(guest)
    hide(guest)
    invite(host, guest)
    wait_until(guest, lambda: bool(titles(guest)), WITHIN, "a notification of the invitation")
    assert titles(guest) == [f"{host.name} invited you to a game"]
    expect(guest.page).to_have_title("(1) New invitation · Tic-Tac-Toe")

    guest.page.evaluate("window.__hide(false)")
    expect(guest.page).to_have_title("Tic-Tac-Toe")
    guest.page.get_by_role("button", name="Play now").click()
    expect(guest.page.locator("#pairing .waiting")).to_be_visible()
    hide(guest)
    host.page.goto("/")
    paired = api(host.page, "POST", "/api/quick-play")  # the guest waited longer: X, to move
    guest.page.wait_for_url(f"**/games/{paired['id']}**", timeout=WITHIN * 1000)
    assert titles(guest) == [f"{host.name} invited you to a game", f"Your turn against {host.name}"]
    assert guest.failures == host.failures == []
