"""Debian's chromium for Playwright: the one browser the tests and benchmarks drive."""

from __future__ import annotations

from typing import Any

EXECUTABLE = "/usr/bin/chromium"
# Headless, and quiet on a machine with no network: without the background-networking flags
# chromium keeps trying (and failing) to reach its vendor's services.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Any) -> Any:
    """Start Debian's chromium (never a browser downloaded by a test tool)."""
    return playwright.chromium.launch(executable_path=EXECUTABLE, args=ARGS)
