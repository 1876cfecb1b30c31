"""Everything that talks to DynamoDB."""

from tictactoe.store.computer import TooManyGames
from tictactoe.store.errors import NotFound, StoreError, Taken, Unavailable
from tictactoe.store.games import Games, Lists, Rejected
from tictactoe.store.invitations import MAX_SENT, OpenInvitation, TooManyInvitations
from tictactoe.store.ladder import Ladder, Player
from tictactoe.store.pairing import Looking, Paired, Pairing
from tictactoe.store.pictures import PictureRecord, PictureRejected, Pictures, StoredSize
from tictactoe.store.schema import definitions, ensure_tables, tables_ready
from tictactoe.store.users import TooSimilar, User, Users

__all__ = [
    "Games",
    "Ladder",
    "Lists",
    "Looking",
    "MAX_SENT",
    "NotFound",
    "OpenInvitation",
    "Paired",
    "Pairing",
    "PictureRecord",
    "PictureRejected",
    "Pictures",
    "Player",
    "Rejected",
    "StoreError",
    "StoredSize",
    "Taken",
    "TooManyGames",
    "TooManyInvitations",
    "TooSimilar",
    "Unavailable",
    "User",
    "Users",
    "definitions",
    "ensure_tables",
    "tables_ready",
]
