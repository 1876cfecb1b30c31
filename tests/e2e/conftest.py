"""Fixtures for the end-to-end tests: one real stack and one real browser for the package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from devstack import chromium

from .players import BrowserPlayer
from .stack import ROOT, Stack

ARTIFACTS = ROOT / "artifacts" / "e2e"
PlayerFactory = Callable[..., BrowserPlayer]


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """DynamoDB Local, moto's S3, redis-server (the push bus) and two instances, each a web and
    a stream gunicorn (the Procfile's two processes) behind its own nginx, as Elastic
    Beanstalk lays it out, and a load balancer in front (devstack/stack.py)."""
    running = Stack(tmp_path_factory.mktemp("e2e-stack"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def whole_stack(stack: Stack) -> Stack:
    """The package's stack with anything an earlier test killed brought back."""
    stack.heal()
    return stack


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium, never a downloaded one."""
    launched = chromium.launch(playwright)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def players(browser: Browser) -> Iterator[PlayerFactory]:
    """Make players, each in a browser context of their own (own cookies)."""
    made: list[BrowserPlayer] = []

    def make(base_url: str, width: int = 1280, height: int = 900) -> BrowserPlayer:
        player = BrowserPlayer.open(browser, base_url, width, height)
        made.append(player)
        return player

    yield make
    for player in made:
        player.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored), for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
