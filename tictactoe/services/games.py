"""Game use cases: invite, accept, move, resign, claim, rematch, challenge. No Flask here."""

from __future__ import annotations

from collections.abc import Callable
from random import Random

from tictactoe.adapters import metrics
from tictactoe.adapters.presence import Presence
from tictactoe.rules import board
from tictactoe.rules.board import Game, Seen, Status
from tictactoe.rules.clock import now
from tictactoe.rules.presence import Here, left_at
from tictactoe.services import computer
from tictactoe.services.accounts import check_name
from tictactoe.services.errors import Conflict, Forbidden, Invalid
from tictactoe.store import Games, Lists, NotFound, Rejected, Users
from tictactoe.store.lists import LIST_LENGTH, MORE_LENGTH


def invite(
    games: Games, users: Users, host: str, opponent: object, host_picture: str | None = None
) -> Game:
    """Invite an existing player (not oneself) to a game; the game keeps both pictures.

    Raises store.OpenInvitation when the two already have one (either way round), and
    store.TooManyInvitations when the host has store.MAX_SENT out.
    """
    opponent = check_name(opponent, "opponent")
    if opponent.lower() == host.lower():
        raise Invalid("you cannot invite yourself")
    user = users.get(opponent)
    if user is None:
        raise NotFound(f"there is no player called {opponent}")
    return games.create(host, user.name, (host_picture, user.picture))


def accept(games: Games, game_id: str, player: str, picture: str | None = None) -> Game:
    """Start the game `player` was invited to, or take an open challenge (with `picture`)."""
    try:
        return games.accept(game_id, player, picture)
    except Rejected as rejected:
        current = rejected.current
        if current and current.challenge:
            raise _why_not_taker(games, current, player) from None
        if current and current.opponent == player and games.expired(current):
            raise Conflict("this invitation has expired") from None
        raise _why_not_invitee(current, player) from None


def reject(games: Games, game_id: str, player: str) -> None:
    """Turn down (delete) the invitation `player` received."""
    try:
        games.reject(game_id, player)
    except Rejected as rejected:
        raise _why_not_invitee(rejected.current, player) from None


def cancel(games: Games, game_id: str, player: str) -> None:
    """Withdraw (delete) the invitation `player` sent, while it is unanswered."""
    try:
        games.cancel(game_id, player)
    except Rejected as rejected:
        current = rejected.current
        if current is None:
            raise NotFound("no such game") from None
        if current.host != player:
            raise Forbidden("only the player who sent an invitation can withdraw it") from None
        raise Conflict("this invitation has already been answered") from None


def move(
    games: Games,
    game_id: str,
    player: str,
    cell: object,
    seen: Seen | None = None,
    rng: Random | None = None,
) -> Game:
    """Play `cell` for `player`: one conditional write when `seen` (the state the player saw)
    is given, a read and a write otherwise.

    In a game against the computer the same write holds its reply (services/computer.py).
    A `seen` that names the wrong kind of game fails that write's condition; the game that
    comes back says the real kind, and the move is tried again as that.
    """
    index = board.check_cell(cell)
    current: Game | None  # None when a refused write finds the game gone
    if seen is None or not computer.well_formed(seen):
        current = games.get(game_id)
        board.check_move(current, player, index)
        seen = Seen(current.board, current.level)
    for _ in range(3):
        placed = board.place(seen.board, index)
        try:
            if seen.level is None:
                return _moved(games.move(game_id, player, seen.board, placed))
            return _moved(computer.move(games, game_id, player, seen.board, seen.level, index, rng))
        except Rejected as rejected:
            current = rejected.current
        if current is None:
            raise NotFound("no such game")
        if current.board[index] == current.mark_of(player) and (
            current.board == placed.board or computer.landed(current, placed)
        ):
            return current  # this very move already landed (a retried request)
        board.check_move(current, player, index)  # raises the real reason, if there is one
        seen = Seen(current.board, current.level)  # stale, but the move is still legal
    raise Conflict("the game is changing too fast; try again")


def _moved(game: Game) -> Game:
    """Count a move that landed (and the game, if it ended it); return the game."""
    metrics.count(metrics.MOVES)
    if game.status is Status.FINISHED:
        metrics.count(metrics.GAMES_FINISHED)
    return game


def game(games: Games, game_id: str, at_least: int = 0) -> Game:
    """Return a game (any signed-in player may watch one)."""
    return games.get(game_id, at_least)


def expired(games: Games, found: Game) -> bool:
    """Return True when `found` is an invitation that lapsed unanswered."""
    return games.expired(found)


def lists(games: Games, player: str, more: bool = False) -> Lists:
    """Return the player's home lists: the LIST_LENGTH newest of each, MORE_LENGTH if `more`."""
    return games.lists(player, MORE_LENGTH if more else LIST_LENGTH)


def resign(games: Games, game_id: str, player: str) -> Game:
    """End the game `player` is playing as their resignation: the other player wins."""
    return _finish(games, game_id, player, _may_resign, games.resign)


def claim(
    games: Games,
    game_id: str,
    player: str,
    presence: Presence | None = None,
    away_seconds: int = 0,
) -> Game:
    """Win the game whose other player has not moved for the store's turn timeout, or has been
    away from it for `away_seconds` while it is their turn (as `presence` says now)."""
    waited: int | None = None  # the absence that allows the claim; None: the turn timeout

    def check(games: Games, current: Game, player: str) -> None:
        nonlocal waited
        waited = _may_claim(games, current, player, presence, away_seconds)

    return _finish(games, game_id, player, check, lambda g, p: games.claim(g, p, waited))


def who_is_here(presence: Presence | None, game: Game) -> Here | None:
    """Return who has `game` open, if someone's absence could count there (a game between
    people, being played); None otherwise, or when presence is off or unknown."""
    if presence is None or game.status is not Status.IN_PROGRESS or game.level is not None:
        return None  # (no read: nobody's absence counts there)
    return presence.read(game.id)


def absent_since(presence: Presence | None, game: Game) -> str | None:
    """Return when the player to move in `game` left it; None if here, or unknown."""
    return left_at(game, who_is_here(presence, game))


def _finish(
    games: Games,
    game_id: str,
    player: str,
    check: Callable[[Games, Game, str], None],
    finish: Callable[[Game, str], Game],
) -> Game:
    """Check the rules on the game as read, then finish it; a game that changed meanwhile is
    checked again as it is now (the finishing write is conditional on the version read)."""
    current = games.get(game_id)
    for _ in range(3):
        check(games, current, player)
        try:
            finished = finish(current, player)
        except Rejected as rejected:
            if rejected.current is None:
                raise NotFound("no such game") from None
            current = rejected.current
        else:
            metrics.count(metrics.GAMES_FINISHED)
            return finished
    raise Conflict("the game is changing too fast; try again")


def _may_resign(games: Games, current: Game, player: str) -> None:
    current.mark_of(player)  # NotAPlayer: 403
    board.check_in_progress(current)


def _may_claim(
    games: Games,
    current: Game,
    player: str,
    presence: Presence | None = None,
    away_seconds: int = 0,
) -> int | None:
    """Raise why `player` may not claim the win now; else return the seconds the opponent
    must not have moved for: `away_seconds` when their absence allows it, None for the
    turn timeout."""
    current.mark_of(player)
    board.check_in_progress(current)
    if current.level is not None:
        raise Forbidden("there is no win to claim from the computer: it always replies at once")
    if current.turn == player:
        raise Forbidden("it is your turn: you cannot claim the win, play a move instead")
    # Presence is read as the claim is decided (on whichever instance): a player who came
    # back is here, and the claim waits for the turn timeout again.
    left = absent_since(presence, current)
    when = board.claimable_at(current, games.turn_timeout_seconds, left, away_seconds)
    if when is not None and when > now(games.clock()):
        raise Conflict(
            f"too early: you may claim the win from {when} if your opponent has not moved by "
            "then, nor come back to the game"
            if left
            else f"too early: you may claim the win from {when} if your opponent has not moved "
            "by then"
        )
    return away_seconds if when != board.claimable_at(current, games.turn_timeout_seconds) else None


def challenge(games: Games, host: str, picture: str | None = None) -> Game:
    """Open a challenge that any other player may take (it counts against the host's cap).

    Raises store.TooManyInvitations when the host has store.MAX_SENT out.
    """
    return games.challenge(host, picture)


def rematch(
    games: Games,
    game_id: str,
    player: str,
    picture: str | None = None,
    rng: Random | None = None,
) -> tuple[Game, bool]:
    """Ask for (or accept) the one rematch of a finished game; True when this created it.

    The rematch is an invitation from the first to ask to the other player; when the other
    player had asked already, this accepts their invitation and the game starts. Against the
    computer it is a new game at the same level, started at once, the marks swapped.
    """
    try:
        game, created = games.rematch(game_id, player, picture, computer.opener(rng))
    except Rejected as rejected:
        current = rejected.current
    else:
        if created and game.status is Status.IN_PROGRESS:  # the computer's starts at once
            metrics.count(metrics.GAMES_STARTED)  # (an accepted one: counted by the store)
        return game, created
    if current is None:
        raise NotFound("no such game")
    if player not in current.players:
        raise Forbidden("only the game's players can ask for a rematch")
    if current.status is not board.Status.FINISHED:
        raise Conflict("a rematch can only follow a finished game")
    raise Conflict("the other player has deleted their account; invite someone else")


def _why_not_invitee(current: Game | None, player: str) -> Exception:
    if current is None:
        return NotFound("no such game")
    if current.challenge and current.opponent is None:
        return Forbidden("no one was invited to an open challenge; its host may withdraw it")
    if current.opponent != player:
        return Forbidden("only the invited player can answer an invitation")
    return Conflict("this invitation has already been answered")


def _why_not_taker(games: Games, current: Game, player: str) -> Exception:
    """Why `player` could not take (or accept) the open challenge `current`."""
    if current.host == player:
        return Forbidden("you cannot take your own challenge")
    if current.opponent is None and games.expired(current):
        return Conflict("this challenge has expired")
    if current.opponent is None:  # still open: it can only have lapsed between two clocks
        return Conflict("this challenge could not be taken; try again")
    if current.opponent == player:
        return Conflict("you have already taken this challenge")
    return Conflict("someone else took this challenge first")
