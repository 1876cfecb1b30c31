"""Page weight and the waiting page's polls, measured in headless chromium.

Weight: every byte chromium receives for a page (HTML, CSS, JS, images, headers included),
from the DevTools protocol's Network.loadingFinished, with a cold cache.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bench.capacity import Recorder
from bench.flows import PASSWORD
from devstack import chromium


def launch(playwright: Any) -> Browser:
    """Start Debian's chromium, as the browser tests do."""
    browser: Browser = chromium.launch(playwright)
    return browser


def signed_in(browser: Browser, base_url: str, name: str) -> BrowserContext:
    """Return a fresh context (empty cache) whose cookies sign `name` in."""
    context = browser.new_context(base_url=base_url)
    token = context.request.get("/api/csrf").json()["csrf_token"]
    r = context.request.post(
        "/api/login",
        data=json.dumps({"username": name, "password": PASSWORD}),
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    if not r.ok:
        raise RuntimeError(f"login as {name}: {r.status}")
    return context


def weigh(context: BrowserContext, path: str) -> dict[str, Any]:
    """Load `path` in a new tab; return bytes transferred, in total and per resource type."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    kinds: dict[str, str] = {}
    sizes: dict[str, float] = defaultdict(float)
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    page.goto(path, wait_until="load")
    page.wait_for_load_state("networkidle")
    by_kind: dict[str, float] = defaultdict(float)
    for request_id, size in sizes.items():
        by_kind[kinds.get(request_id, "Other")] += size
    page.close()
    return {"bytes": sum(sizes.values()), "requests": len(sizes), "by_type": dict(by_kind)}


def page_weights(base_url: str, viewer: str, game_id: str) -> dict[str, Any]:
    """Weigh the home page and a game page (the viewer's turn, so it does not poll)."""
    with sync_playwright() as p:
        browser = launch(p)
        try:
            result = {}
            for label, path in (("home", "/"), ("game", f"/games/{game_id}")):
                context = signed_in(browser, base_url, viewer)
                try:
                    result[label] = weigh(context, path)
                finally:
                    context.close()
            return result
        finally:
            browser.close()


def watch_waiting(
    base_url: str, game_id: str, players: list[str], seconds: float, recorder: Recorder
) -> dict[str, Any]:
    """Open the game page on every player's screen for `seconds`; count each one's polls
    and the capacity the app spent meanwhile."""
    polls: dict[str, int] = {name: 0 for name in players}
    poll_path = f"/api/games/{game_id}"
    with sync_playwright() as p:
        browser = launch(p)
        try:
            pages: list[Page] = []
            for name in players:
                context = signed_in(browser, base_url, name)
                page = context.new_page()

                def count(request: Any, who: str = name) -> None:
                    if request.method == "GET" and request.url.endswith(poll_path):
                        polls[who] += 1

                page.on("request", count)
                page.goto(f"/games/{game_id}", wait_until="load")
                pages.append(page)
            recorder.reset()
            counted = dict(polls)
            started = time.monotonic()
            pages[0].wait_for_timeout(seconds * 1000)
            elapsed = time.monotonic() - started
            used = recorder.snapshot()
            polls = {name: n - counted[name] for name, n in polls.items()}
        finally:
            browser.close()
    return {"seconds": elapsed, "polls": polls, "capacity": used}
