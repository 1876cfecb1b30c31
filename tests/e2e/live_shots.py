"""Screenshots of the Live games page and of a game opened from it, at 1280 and 390 px.

    .venv/bin/python -m tests.e2e.live_shots docs/screenshots

It starts its own one-instance stack (devstack, every process owned by PID and stopped at the
end), plays a few games between people through the API, and drives Debian's chromium headless.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from devstack import chromium
from devstack.stack import Stack

from .players import BrowserPlayer
from .scenes import move, started

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
# Cells played in each game, in turn from X: games at different points.
OPENINGS = [(4, 0, 8), (), (0, 4), (2, 4, 6, 8), (1,)]


def shoot(out: Path) -> list[Path]:
    """Start a stack, start a few games, and save the pages at each size; return the files."""
    saved = []
    with tempfile.TemporaryDirectory() as home, Stack(Path(home), name="live-shots") as stack:
        with sync_playwright() as driver:
            browser = chromium.launch(driver)
            try:
                people = [BrowserPlayer.open(browser, stack.url, 390, 844) for _ in range(11)]
                for person in people:
                    person.sign_up()
                watcher = people[0]
                for n, cells in enumerate(OPENINGS):
                    host, guest = people[1 + 2 * n], people[2 + 2 * n]
                    game_id = started(host, guest)
                    for turn, cell in enumerate(cells):
                        move(guest if turn % 2 == 0 else host, game_id, cell)
                for name, (width, height) in SIZES.items():
                    watcher.page.set_viewport_size({"width": width, "height": height})
                    watcher.page.goto("/live")
                    watcher.page.wait_for_load_state("load")
                    saved.append(out / f"live-{name}.png")
                    watcher.page.screenshot(path=saved[-1], full_page=False)
                # The list re-renders as games move, so open the row's address rather than
                # wait for a click target that keeps being replaced.
                watcher.page.goto(
                    watcher.page.locator(".row-link").first.get_attribute("href") or "/live"
                )
                watcher.page.wait_for_load_state("load")
                saved.append(out / "live-watching-phone.png")
                watcher.page.screenshot(path=saved[-1], full_page=False)
            finally:
                browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    for path in shoot(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
