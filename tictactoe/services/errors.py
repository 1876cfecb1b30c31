"""What a use case refuses, by kind; the web layer maps each kind to a status once."""

from __future__ import annotations

from tictactoe.rules.refusals import Busy, Refused, Throttled

__all__ = ["Busy", "Conflict", "Forbidden", "Invalid", "Refused", "Throttled", "WrongCredentials"]


class Invalid(Exception):
    """The request is malformed or breaks a rule about names or passwords (400)."""


class WrongCredentials(Exception):
    """Unknown name or wrong password (401)."""


class Forbidden(Exception):
    """The player may not do this to this game (403)."""


class Conflict(Exception):
    """The game is not in a state that allows this (409)."""
