"""Account use cases: sessions that can be revoked, password change, deletion. No Flask here.

A session names the account it was issued for (its CreatedAt, so a name taken again after a
deletion is another account) and the account's session epoch at the time. Advancing the
epoch in the Users item (password change, "sign out everywhere") makes every older session
stale; deleting the item makes all of them stale. Signing out ends one session: its id is
listed on the item (Users.sign_out), so a copy of its cookie stops working too. Sessions are
checked against the item at most once every RECHECK_SECONDS, and always before a sensitive
action; the same read sees the epoch and the list.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from werkzeug.security import generate_password_hash

from tictactoe.adapters.bucket import Objects
from tictactoe.rules.names import NAME, is_kept, skeleton
from tictactoe.rules.passwords import MAX_PASSWORD, length_problem, password_problem
from tictactoe.services import pictures
from tictactoe.services.errors import Conflict, Forbidden, Invalid, WrongCredentials
from tictactoe.services.limits import UNLIMITED, Gate
from tictactoe.store import Games, Pairing, Pictures, TooSimilar, User, Users

log = logging.getLogger(__name__)

# Checked against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")

RECHECK_SECONDS = 60  # a revoked session stops working within this, everywhere
IDLE_SECONDS = 14 * 24 * 3600  # a session unused this long has expired
LIFETIME_SECONDS = 30 * 24 * 3600  # and every session expires this long after sign-in


@dataclass(frozen=True)
class Holder:
    """What a session says about who is asking."""

    name: str
    account: str  # the CreatedAt of the account the session was issued for
    epoch: int  # the account's session epoch when the session was issued (or renewed)
    since: float  # when the player signed in (epoch seconds)
    checked: float  # when the session was last checked against the account
    session: str | None = None  # the session's own id (None: a session from before ids)

    def expired(self, now: float) -> bool:
        """Return True when the session is too old, or went unused too long."""
        return now - self.since > LIFETIME_SECONDS or now - self.checked > IDLE_SECONDS

    def due(self, now: float) -> bool:
        """Return True when the session should be checked against the account again."""
        return now - self.checked >= RECHECK_SECONDS

    def holds(self, user: User | None) -> bool:
        """Return True if this session still speaks for `user` (None: no such account)."""
        return (
            user is not None
            and user.created_at == self.account
            and user.epoch <= self.epoch
            and self.session not in user.signed_out
        )


def check_name(name: object, what: str = "username") -> str:
    """Return `name` if it is a well-formed player name, else raise Invalid."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise Invalid(f"{what} must be 3-20 letters, digits, '_' or '-'")
    return name


def register(users: Users, name: object, password: object, gate: Gate = UNLIMITED) -> User:
    """Create an account; the name and its look-alikes are claimed atomically.

    Raises Invalid (a bad name, a weak password), store.Taken, store.TooSimilar (also for a
    name kept for the game, like "computer", and its look-alikes), or the gate's refusal once
    the client's sign-ups are over the limit. The attempt is counted before the strength
    estimate and the hash, so a flood of sign-ups is refused from memory.
    """
    name = check_name(name)
    if is_kept(name):  # refused as a name too similar to an existing one would be
        raise TooSimilar(f"the name {name} is too similar to the computer opponent's")
    problem = length_problem(password)
    if problem is not None:
        raise Invalid(problem)
    assert isinstance(password, str)  # length_problem refused anything else
    gate.enter_signup()
    problem = password_problem(password, name)
    if problem is not None:
        raise Invalid(problem)
    return users.create(name, gate.hash(password), skeleton(name))


def login(users: Users, name: object, password: object, gate: Gate = UNLIMITED) -> User:
    """Return the player if the name and password match, else raise WrongCredentials.

    The gate (limits.py) refuses from memory before the read, refuses a client that failed too
    often as this player before the hash, bounds hashing, and counts failures."""
    if not isinstance(name, str) or not isinstance(password, str):
        raise Invalid("username and password are required")
    gate.enter_login(name)
    user = users.get(name) if NAME.fullmatch(name) and len(password) <= MAX_PASSWORD else None
    if user is None:
        gate.verify(_DUMMY_HASH, password[:MAX_PASSWORD])
    else:
        gate.check_account(user)  # 429 before hashing, even for the right password
        if gate.verify(user.password_hash, password):
            gate.succeeded()
            if user.skeleton is None:  # an account from before look-alike claims: claim it now
                users.claim_skeleton(user, skeleton(user.name))
            return user
    gate.failed(user)
    raise WrongCredentials("wrong username or password")


def check(users: Users, holder: Holder, consistent: bool = False) -> User | None:
    """Return the account the session speaks for, or None if it was revoked or deleted."""
    user = users.get(holder.name, consistent=consistent)
    return user if holder.holds(user) else None


def change_password(users: Users, user: User, current: object, new: object, gate: Gate) -> int:
    """Replace the password; return the new session epoch (every older session is stale)."""
    confirm_password(user, current, gate)
    problem = password_problem(new, user.name)
    if problem is not None:
        raise Invalid(problem)
    epoch = users.set_password(user, gate.hash(str(new)))
    if epoch is None:
        raise Conflict("your account changed meanwhile; reload and try again")
    return epoch


def new_session_id() -> str:
    """Return a fresh id for one session (72 random bits: never the same twice in practice)."""
    return secrets.token_urlsafe(9)


def end_session(users: Users, holder: Holder, now: float) -> None:
    """End this one session on the server: every copy of its cookie stops working within
    RECHECK_SECONDS. The entry is kept until the session would have expired anyway (a
    check's margin added: a copy checked just now lives IDLE_SECONDS more at most)."""
    if holder.session is None:
        return  # a session from before ids; it gets one at its next check
    until = min(now + IDLE_SECONDS + RECHECK_SECONDS, holder.since + LIFETIME_SECONDS)
    users.sign_out(holder.name, holder.account, holder.session, int(until) + 1, int(now))


def sign_out_everywhere(users: Users, user: User) -> None:
    """Make every session of the player stale, this one too."""
    users.advance_epoch(user.name)  # None: the account is gone, which signs out everyone too


def delete_account(
    users: Users,
    games: Games,
    pairing: Pairing,
    records: Pictures,
    objects: Objects,
    user: User,
    password: object,
    gate: Gate,
) -> None:
    """Stop the player's Play now wait; delete their pictures, picture record, account and
    name claim; leave their games to their opponents, with "deleted player" in their place.

    Ordered so that a failure part-way (a 503) leaves an account that still signs in, and
    trying again finishes the job: the wait (so nobody is paired with the account from now
    on; a pairing that won the race is a game like the others), games, the picture, the
    account.
    """
    confirm_password(user, password, gate)
    pairing.stop(user.name)
    _forget_games(games, user.name)
    pictures.remove_picture(records, objects, users, user.name)
    users.delete(user)
    # An invitation sent while the account was being deleted would dangle: sweep once more.
    _forget_games(games, user.name)
    log.info("Deleted the account of %s", user.name)


def confirm_password(user: User, password: object, gate: Gate) -> None:
    """Raise Forbidden unless `password` is the player's password.

    Through the same gate as a login: a wrong password counts as a failed login of this
    player from this client, so a stolen session cannot guess the password at full speed.
    """
    if not isinstance(password, str) or not password:
        raise Invalid("your current password is required")
    gate.check_account(user)
    if len(password) > MAX_PASSWORD or not gate.verify(user.password_hash, password):
        gate.failed(user)
        raise Forbidden("wrong password")


def _forget_games(games: Games, player: str) -> None:
    for game_id in games.games_of(player):
        games.forget_player(game_id, player)
