"""One open stream: the events it has yet to send, what it sent, the topics it needs.

No Flask here, no bus: the hub (tictactoe/services/hub.py) fills a stream's queue and the view
(tictactoe/web/streams.py) empties it.
"""

from __future__ import annotations

import queue
import secrets
from dataclasses import dataclass, field

from tictactoe.rules.board import Game
from tictactoe.rules.notices import GAME, PLAYER, SESSIONS, Topic
from tictactoe.rules.presence import Here

QUEUE = 32  # events a stream may fall behind by


@dataclass(frozen=True)
class Event:
    """What a stream sends: a game as it now is, or that it is gone (game None)."""

    game_id: str
    game: Game | None


@dataclass(frozen=True)
class Attended:
    """Who has the stream's game open now (tictactoe/services/attendance.py)."""

    here: Here


# Put on a stream's queue to end it: why it ended, and the event that tells the page, if any.
@dataclass(frozen=True)
class Closed:
    reason: str
    event: str | None = None


DOWN = "down"  # the bus went down: poll until a stream opens again
REPLACED = "replaced"  # a newer stream of the same tab took this one's place


@dataclass(eq=False)
class Stream:
    """One open stream: a player's own (game_id None) or one game's."""

    player: str
    epoch: int
    game_id: str | None
    tab: str | None = None  # the browser tab's id, as the page named it
    id: str = field(default_factory=lambda: secrets.token_urlsafe(6))  # its presence entry's
    events: queue.Queue[Event | Attended | Closed] = field(
        default_factory=lambda: queue.Queue(QUEUE + 1)
    )
    # game id -> last version sent, the game changed last at the end
    sent: dict[str, int] = field(default_factory=dict)

    @property
    def topics(self) -> tuple[Topic, Topic]:
        """What this stream needs the bus to tell its process."""
        watched = Topic(GAME, self.game_id) if self.game_id else Topic(PLAYER, self.player)
        return watched, Topic(SESSIONS, self.player)

    def hears(self, topic: Topic | None) -> bool:
        """True if a change heard on `topic` is for this stream (None: the old channel)."""
        return topic is None or (topic.kind != SESSIONS and topic in self.topics)

    def wants(self, game_id: str, players: tuple[str, ...]) -> bool:
        return game_id == self.game_id if self.game_id else self.player in players

    def fresh(self, game: Game) -> bool:
        """Return True, and remember it, if `game` is newer than what this stream sent."""
        if self.sent.get(game.id, -1) >= game.version:
            return False
        self.sent.pop(game.id, None)  # to the end: the game forgotten first changed longest ago
        self.sent[game.id] = game.version
        if len(self.sent) > 4 * QUEUE:  # a player's stream over a long evening: stay bounded
            self.sent.pop(next(iter(self.sent)))
        return True

    def next(self, timeout: float) -> Event | Attended | Closed | None:
        """Return the next event, Closed, or None when nothing came within `timeout`."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None


def end(stream: Stream, reason: str, event: str | None = None) -> None:
    """Put Closed on `stream`'s queue, making room for it if the stream fell behind."""
    try:
        stream.events.put_nowait(Closed(reason, event))
    except queue.Full:  # it fell behind: drop its oldest event to make room for the end
        try:
            stream.events.get_nowait()
        except queue.Empty:
            pass
        stream.events.put_nowait(Closed(reason, event))
