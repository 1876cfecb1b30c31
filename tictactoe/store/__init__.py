"""Everything that talks to DynamoDB."""

from .avatars import AvatarRecord, Avatars, Changed, StoredSize
from .errors import NotFound, StoreError, Taken, Unavailable
from .games import Games, Lists, Rejected
from .invitations import MAX_SENT, OpenInvitation, TooManyInvitations
from .ladder import Ladder, Player
from .schema import definitions, ensure_tables, tables_ready
from .users import TooSimilar, User, Users

__all__ = [
    "AvatarRecord",
    "Avatars",
    "Changed",
    "Games",
    "Ladder",
    "Lists",
    "MAX_SENT",
    "NotFound",
    "OpenInvitation",
    "Player",
    "Rejected",
    "StoreError",
    "StoredSize",
    "Taken",
    "TooManyInvitations",
    "TooSimilar",
    "Unavailable",
    "User",
    "Users",
    "definitions",
    "ensure_tables",
    "tables_ready",
]
