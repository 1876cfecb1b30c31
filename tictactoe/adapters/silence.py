"""Listening to a subscription that may fall silent: a frozen or cut-off bus sends no error.

The subscription asks the bus (PING) after PING_EVERY seconds of quiet, and counts it down
after SILENT seconds without a word (a reply, a notice, a confirmation). Used by
tictactoe/adapters/bus.py's subscription thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.client import PubSub
from redis.exceptions import RedisError

PING_EVERY = 1.0  # seconds of quiet on the subscription before it asks the bus (PING)
SILENT = 3.0  # seconds without a word from the bus (a reply, a notice): the bus is down


class Silent(RedisError):
    """The bus said nothing for SILENT seconds, though asked: frozen, or cut off."""


def heard(pubsub: PubSub, kind: str) -> None:
    """Wait up to SILENT seconds for a message of `kind` (the subscription's confirmation)."""
    deadline = time.monotonic() + SILENT
    while (left := deadline - time.monotonic()) > 0:
        message = pubsub.get_message(timeout=left)
        if message is not None and message.get("type") == kind:
            return
    raise Silent(f"no {kind} confirmation within {SILENT:g} s")


def follow(pubsub: PubSub, on_message: Callable[[dict[str, object]], None]) -> None:
    """Pass each message on until the bus fails or falls silent (raises then)."""
    heard = time.monotonic()
    while True:
        message = pubsub.get_message(timeout=PING_EVERY)
        now = time.monotonic()
        if message is not None:
            heard = now  # any word counts: a notice, a pong, a confirmation
            on_message(message)
            continue
        if now - heard >= SILENT:
            raise Silent(f"no answer to PING within {SILENT:g} s")
        pubsub.ping()  # sent only: the pong comes back as a message, if the bus is there
