"""How an account is stored: the Users table's account item, to and from a User.

Item layout:
  UserKey        the lower-cased name
  Name           as the player typed it at sign-up
  PasswordHash, CreatedAt, Picture (content hash of the current picture, if any)
  SessionEpoch   a counter; a session issued for an older value no longer works
  Skeleton       the name's look-alike skeleton, when this account holds its claim; "" for
                 an account from before claims whose look-alike claimed first; absent on
                 accounts from before claims until their next sign-in
  SignedOut      [[session id, until], ...]: sessions signed out before they expired, each
                 kept until (epoch seconds) every copy of its cookie has expired anyway; at
                 most MAX_SIGNED_OUT live ones (see Users.sign_out)
  SignedOutVersion  a counter, advanced by every write of SignedOut, so pruning is safe

A look-alike claim is an item of its own, UserKey "skeleton#<skeleton>" (CLAIM), Owner the
claiming account's UserKey. '#' is never part of a name, so claims and accounts cannot collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tictactoe.store.limits import Failures, failures_of

CLAIM = "skeleton#"
# Live signed-out sessions one account keeps. Each entry is about 30 bytes, so the item stays
# well under 1 KB (one write unit) and 4 KB (half a read unit), read at every session check.
MAX_SIGNED_OUT = 16


@dataclass(frozen=True)
class User:
    name: str  # as the player typed it at sign-up
    password_hash: str
    picture: str | None = None  # content hash of the current picture (Avatars has the rest)
    created_at: str = ""
    epoch: int = 0  # the SessionEpoch; absent on accounts older than it: 0
    skeleton: str | None = None  # set when this account holds its look-alike claim
    signed_out: frozenset[str] = frozenset()  # ids of sessions signed out on the server
    # Clients that recently failed to sign in as this player (see store/limits.py).
    login_failures: Failures = field(default_factory=Failures, repr=False)


def user_from_item(item: dict[str, Any] | None) -> User | None:
    """Return the User an account item describes; None for no item, or one that is no account."""
    if not item or "PasswordHash" not in item:
        return None
    return User(
        name=item["Name"]["S"],
        password_hash=item["PasswordHash"]["S"],
        picture=item.get("Picture", {}).get("S"),
        created_at=item.get("CreatedAt", {}).get("S", ""),
        epoch=int(item.get("SessionEpoch", {}).get("N", "0")),
        skeleton=item.get("Skeleton", {}).get("S"),
        signed_out=frozenset(session for session, _ in signed_out_of(item)),
        login_failures=failures_of(item),
    )


def signed_out_of(item: dict[str, Any]) -> list[tuple[str, int]]:
    """Return the item's signed-out sessions as (session id, until) pairs."""
    return [(e["L"][0]["S"], int(e["L"][1]["N"])) for e in item.get("SignedOut", {}).get("L", [])]
