"""Screenshots of a busy home page at 1280 and 390 px, for docs/screenshots/.

    .venv/bin/python -m tests.e2e.shots docs/screenshots [--ref GIT_REF] [--suffix -before]

It starts its own one-instance stack (devstack, every process owned by PID and stopped at the
end), optionally on an older commit, and drives Debian's chromium headless.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from devstack import chromium
from devstack.stack import Stack

from .players import BrowserPlayer
from .scenes import busy_home

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def shoot(out: Path, ref: str = "", suffix: str = "") -> list[Path]:
    """Start a stack, make a busy home page, and save it at each size; return the files."""
    saved = []
    with tempfile.TemporaryDirectory() as home, Stack(Path(home), ref=ref, name="shots") as stack:
        with sync_playwright() as driver:
            browser = chromium.launch(driver)
            try:
                me, bob, cat = (BrowserPlayer.open(browser, stack.url, 390, 844) for _ in "abc")
                for player in (me, bob, cat):
                    player.sign_up()
                busy_home(me, [bob, cat])
                for name, (width, height) in SIZES.items():
                    me.page.set_viewport_size({"width": width, "height": height})
                    me.page.goto("/")
                    me.page.wait_for_load_state("load")
                    path = out / f"home-{name}{suffix}.png"
                    me.page.screenshot(path=path, full_page=False)
                    saved.append(path)
                    full = out / f"home-{name}-full{suffix}.png"
                    me.page.screenshot(path=full, full_page=True)
                    saved.append(full)
            finally:
                browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--ref", default="")
    parser.add_argument("--suffix", default="")
    args = parser.parse_args()
    for path in shoot(args.out, args.ref, args.suffix):
        print(path)


if __name__ == "__main__":
    main()
