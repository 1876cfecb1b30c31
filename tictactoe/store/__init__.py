"""Everything that talks to DynamoDB."""

from .errors import NotFound, StoreError, Taken, Unavailable
from .games import Games, Lists, Rejected
from .schema import definitions, ensure_tables, tables_ready
from .users import User, Users

__all__ = [
    "Games",
    "Lists",
    "NotFound",
    "Rejected",
    "StoreError",
    "Taken",
    "Unavailable",
    "User",
    "Users",
    "definitions",
    "ensure_tables",
    "tables_ready",
]
