"""How Play now's waits are stored: the slot, each player's pointer, a tombstone, a paired game.

Three kinds of item in the Games table decide Play now by conditional writes (pairing.py).
Their keys hold '#', which no game id can, and they have no HostId or StatusDate, so no index
holds them and no reader of games takes them for a game.

- The slot, `quick#slot`: {Waiter, Ticket, ExpiresAt, Picture}: the one player waiting right
  now, or nobody (no slot, or it expired, or its Ticket was used or cancelled).
- The player's pointer, `quick#player#<name lowercased>`: {Ticket, ExpiresAt}: their latest
  wait. (Not `quick#<name>`: a player may be called "slot".)
- The Ticket is fresh for every wait, and is the id of the game that the wait becomes. A
  cancelled wait leaves a tombstone {Cancelled, ExpiresAt} under its Ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tictactoe.rules.board import NEW_BOARD, Status
from tictactoe.store.items import OPEN, s, text
from tictactoe.store.schema import TTL_ATTRIBUTE

SLOT = "quick#slot"
POINTER = "quick#player#"
# Pointers and tombstones outlive their wait by this much: a GET still finds the game a
# wait became while it is played, and no late pairing can pass a tombstone TTL deleted.
LINGER = 24 * 3600


@dataclass(frozen=True)
class Wait:
    """One player's wait, as the slot holds it."""

    waiter: str
    ticket: str
    expires_at: int
    picture: str | None = None

    def live(self, moment: float) -> bool:
        return self.expires_at > moment

    def of(self, player: str) -> bool:
        return self.waiter.lower() == player.lower()


def wait_from(item: dict[str, Any] | None) -> Wait | None:
    """Return the wait a slot item holds, or None."""
    if not item or "Ticket" not in item:
        return None
    return Wait(
        item["Waiter"]["S"],
        item["Ticket"]["S"],
        int(item[TTL_ATTRIBUTE]["N"]),
        text(item, "Picture"),
    )


def pointer_key(player: str) -> dict[str, Any]:
    return {"GameId": s(POINTER + player.lower())}


def game_item(slot: Wait, player: str, picture: str | None, stamp: str) -> dict[str, Any]:
    """Return the item of the game that `slot`'s wait becomes with `player`: in progress.

    The waiter hosts it and plays X (XIsHost), so moves first; both index entries are written
    with it (OPEN_), as an accept writes them.
    """
    item = {
        "GameId": s(slot.ticket),
        "HostId": s(slot.waiter),
        "OpponentId": s(player),
        "XIsHost": {"BOOL": True},
        "Status": s(Status.IN_PROGRESS),
        "Board": s(NEW_BOARD),
        "Turn": s(slot.waiter),
        "Waiting": s(player),
        "StatusDate": s(OPEN + stamp),
        "CreatedAt": s(stamp),
        "UpdatedAt": s(stamp),
        "Version": {"N": "1"},
    }
    for name, digest in (("HostPicture", slot.picture), ("OpponentPicture", picture)):
        if digest:
            item[name] = s(digest)
    return item
