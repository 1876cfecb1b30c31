"""Where a visitor goes back to after signing in: the app's own paths only, never elsewhere.

A page that needs a player sends a signed-out visitor to the welcome page with `next` naming
the page they asked for (a challenge link, say); signing in or up returns there. `next` comes
from the visitor's address bar, so anyone can set it: a link that signs you in and then
lands on another site is an open redirect. Only a plain path of this app passes.
"""

from __future__ import annotations

import re

# One "/", then path and query characters only. Refused, among others: "//host" and "/\host"
# (browsers read both as another host), "https:..." (a scheme), and spaces, tabs or newlines,
# which browsers strip from a URL, so that "/\t/host" would become "//host".
_PATH = re.compile(r"/[A-Za-z0-9_.~%/?=&+-]*")
MAX_LENGTH = 512


def safe_next(value: object) -> str | None:
    """Return `value` if it is a path of this app to return to, else None."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH or not _PATH.fullmatch(value):
        return None
    if "//" in value or value.lower().startswith("/%2f") or "%5c" in value.lower():
        return None
    return value
