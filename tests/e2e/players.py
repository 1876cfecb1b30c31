"""A player in a real browser: a Playwright context (own cookies) driven through the UI only."""

from __future__ import annotations

import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, Request, Response, expect

PASSWORD = "correct horse battery"
_names = itertools.count()

# The game page polls every 2 s while it waits, so a move shows at the latest one poll period
# plus that poll's request and render later; the extra second keeps a busy CI machine green.
POLL_PERIOD = 2.0
SEE_MOVE_WITHIN = POLL_PERIOD + 1.0
WIN = [0, 3, 1, 4, 2]  # X takes the top row
TIE = [0, 1, 2, 4, 3, 5, 7, 6, 8]  # X O X / X O O / O X X
_POLL = re.compile(r"/api/games/[A-Za-z0-9_-]+")  # a game's GET, not its stream (/events)


@dataclass(frozen=True)
class Sent:
    """A request the page sent, and when (time.monotonic())."""

    at: float
    method: str
    path: str
    kind: str  # Playwright's resource type: "document", "fetch", "eventsource", ...


@dataclass
class BrowserPlayer:
    name: str
    context: BrowserContext
    page: Page
    failures: list[str] = field(default_factory=list)
    # Streams that broke off (an instance went away): the browser reconnects by itself, and
    # the player sees nothing of it. Refused streams (a status >= 400) are failures.
    stream_failures: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    opened: list[Sent] = field(default_factory=list)  # streams that answered 200

    @classmethod
    def open(cls, browser: Browser, base_url: str, width: int, height: int) -> BrowserPlayer:
        """Open a fresh browser context; the X-E2E-Player header names it in nginx's log."""
        name = f"p{next(_names)}{uuid.uuid4().hex[:8]}"
        context = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            extra_http_headers={"X-E2E-Player": name},
        )
        context.set_default_timeout(10_000)
        return cls(name, context, context.new_page())._watch()

    def tab(self) -> BrowserPlayer:
        """Another tab of this player's browser (same cookies), watched as this one is."""
        return BrowserPlayer(self.name, self.context, self.context.new_page())._watch()

    def _watch(self) -> BrowserPlayer:
        self.page.on("request", self._record)
        self.page.on("response", self._check_response)
        self.page.on("requestfailed", self._check_failed)
        self.page.on("pageerror", lambda err: self.failures.append(f"script error {err}"))
        return self

    def close(self) -> None:
        self.context.close()

    def _check_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.status} {response.request.method} {response.url}")
        elif response.request.resource_type == "eventsource":  # its headers: the stream is open
            self.opened.append(_sent(response.request))

    def _check_failed(self, request: Request) -> None:
        # Leaving a page cancels its poll in flight, and ends its stream; the player sees
        # nothing of that.
        if request.failure == "net::ERR_ABORTED":
            return
        seen = self.stream_failures if request.resource_type == "eventsource" else self.failures
        seen.append(f"{request.failure} {request.method} {request.url}")

    def _record(self, request: Request) -> None:
        self.sent.append(_sent(request))

    def polls(self, since: float = 0.0) -> list[Sent]:
        """The page's polls (GET /api/games/<id>, not the stream) sent at `since` or later."""
        return [
            s
            for s in self.sent
            if s.at >= since and s.method == "GET" and _POLL.fullmatch(s.path.split("?")[0])
        ]

    def streams(self, since: float = 0.0) -> list[Sent]:
        """The streams the page opened (or tried to) at `since` or later."""
        return [s for s in self.sent if s.at >= since and s.kind == "eventsource"]

    # -- the UI --------------------------------------------------------------------------------

    def sign_up(self) -> BrowserPlayer:
        self.page.goto("/")
        card = self.page.locator("section", has=self.page.locator("#signup-h"))
        card.get_by_label("Username").fill(self.name)
        card.get_by_label("Password").fill(PASSWORD)
        card.get_by_role("button", name="Create account").click()
        expect(self.page.locator(".bar .who")).to_have_text(self.name)
        return self

    def invite(self, other: BrowserPlayer) -> None:
        """Challenge `other` from the home page; ends on the new game's page."""
        self.page.goto("/")
        self.page.get_by_placeholder("Opponent's username").fill(other.name)
        self.page.get_by_role("button", name="Invite").click()
        expect(self.status).to_have_text(f"Waiting for {other.name} to accept…")

    def accept(self, host: BrowserPlayer) -> None:
        """Accept `host`'s invitation from the home page; ends on the game's page."""
        self.page.goto("/")
        row = self.page.locator(".row", has_text=f"{host.name} invited you")
        row.get_by_role("button", name="Accept").click()
        expect(self.status).to_have_text("Your turn.")

    @property
    def status(self) -> Locator:
        return self.page.locator("#status")

    @property
    def problem(self) -> Locator:
        return self.page.locator("#problem")

    def cell(self, index: int) -> Locator:
        return self.page.locator("#board button.cell").nth(index)

    def board(self) -> str:
        """The board as this page shows it: nine characters of X, O and -."""
        marks = self.page.locator("#board button.cell").all_inner_texts()
        return "".join(m.strip() or "-" for m in marks)

    def screenshot(self, path: Path) -> None:
        self.page.screenshot(path=path, full_page=True)


def play(
    x: BrowserPlayer,
    o: BrowserPlayer,
    cells: list[int],
    start: int = 0,
    within: float = SEE_MOVE_WITHIN,
) -> list[float]:
    """Play `cells` in turn from move number `start` (X moves on even numbers) by clicking.

    Returns how long each move took to appear on the other player's page, which never reloads.
    """
    seen = []
    for number, index in enumerate(cells, start):
        mover, watcher, mark = (x, o, "X") if number % 2 == 0 else (o, x, "O")
        try:
            expect(mover.cell(index)).to_be_enabled(timeout=within * 1000)
            began = time.monotonic()
            mover.cell(index).click()
            expect(watcher.cell(index)).to_have_text(mark, timeout=within * 1000)
            seen.append(time.monotonic() - began)
            expect(mover.cell(index)).to_have_text(mark)
        except AssertionError as err:
            raise AssertionError(
                f"move {number} ({mark} in cell {index}): {err}\n"
                f"X saw {x.board()} {x.failures}, O saw {o.board()} {o.failures}"
            ) from err
    return seen


def _sent(request: Request) -> Sent:
    path = "/" + request.url.split("/", 3)[3]
    return Sent(time.monotonic(), request.method, path, request.resource_type)


def board_after(cells: list[int]) -> str:
    """The board that playing `cells` (X first) leaves."""
    board = ["-"] * 9
    for number, index in enumerate(cells):
        board[index] = "XO"[number % 2]
    return "".join(board)
