"""HTML pages and the plain form posts that work without JavaScript, on the blueprint `pages`.

Two halves: playing (the home page's lists, games, invitations, Play now, the computer) and
account (sign-up, login, the profile, the picture, the password, deleting the account); and
the Live games page (live.py), which any signed-in player may read.
"""

from __future__ import annotations

from tictactoe.web.pages import account, live, playing, when
from tictactoe.web.pages.blueprint import bp

__all__ = ["account", "bp", "live", "playing", "when"]
