"""Use cases for player pictures: set, replace, remove, look up. No Flask here.

Writes go in the order that never leaves a record pointing at a missing object: upload the
new objects, then write the Avatars item on condition that it still names the picture we
replaced, then delete the replaced objects. A failure before the item is written leaves the
previous picture in place (at worst with unreferenced new objects beside it); a failure
deleting the old objects leaves only unreferenced objects.

Every upload writes objects under keys of its own (its picture id: content hash and an upload
id), even for a picture the player already has, and a discard deletes only the keys of the
record that one conditional write replaced. So two tabs uploading, and a removal, in any
order, can never delete objects that a record still names. The Users item's pointer (what
sign-in and new games copy) is written last, then checked against the record and mended, so
the last word there is the current picture too.
"""

from __future__ import annotations

import colorsys
import hashlib
import logging
import re
import secrets
from functools import lru_cache
from html import escape

from tictactoe.adapters import pillow
from tictactoe.adapters.bucket import Objects, StoredObject
from tictactoe.rules.clock import now
from tictactoe.services.errors import Conflict
from tictactoe.store import PictureRecord, PictureRejected, Pictures, StoredSize, StoreError, Users

log = logging.getLogger(__name__)

_ATTEMPTS = 3
OBJECT_PREFIX = "avatars/"  # every picture object's key starts so (export reads only these)


def object_key(player: str, picture_id: str, size: int) -> str:
    """Name a rendition's object by its player and upload, so it never needs overwriting."""
    return f"{OBJECT_PREFIX}{player.lower()}/{picture_id}/{size}"


def set_picture(
    records: Pictures,
    objects: Objects,
    users: Users,
    player: str,
    data: bytes,
    filename: str | None = None,
) -> PictureRecord:
    """Make the uploaded picture `player`'s picture; raise pillow.BadImage if it is unusable."""
    picture = pillow.process(data, filename)
    record = _record(player, picture, secrets.token_hex(6))
    current = records.get(player, consistent=True)
    for rendition, stored in zip(picture.renditions, record.objects, strict=True):
        objects.put(stored.key, rendition.data, picture.content_type)
    for _ in range(_ATTEMPTS):
        try:
            records.put(record, replacing=current.picture_id if current else None)
        except PictureRejected as rejected:  # another upload or removal of theirs landed first
            current = rejected.current
            continue
        _point(records, users, player, record.picture_id)
        _discard(objects, current)
        return record
    _discard(objects, record)
    raise Conflict("your picture is changing too fast; try again")


def remove_picture(records: Pictures, objects: Objects, users: Users, player: str) -> None:
    """Go back to the default picture (nothing to do if there is none)."""
    current = records.get(player, consistent=True)
    for _ in range(_ATTEMPTS):
        if current is None:
            return
        try:
            records.delete(player, replacing=current.picture_id)
        except PictureRejected as rejected:
            current = rejected.current
            continue
        _point(records, users, player, None)
        _discard(objects, current)
        return
    raise Conflict("your picture is changing too fast; try again")


def picture(records: Pictures, player: str) -> PictureRecord | None:
    """Return `player`'s current picture record (read strongly: it may have just changed)."""
    return records.get(player, consistent=True)


def rendition(objects: Objects, player: str, picture_id: str, size: int) -> StoredObject | None:
    """Return one stored rendition, or None."""
    return objects.get(object_key(player, picture_id, size))


@lru_cache(maxsize=1024)
def default_svg(player: str) -> str:
    """Draw the default picture: the player's initials on a colour of their own."""
    digest = hashlib.sha256(player.lower().encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    # Dark enough that white initials have a contrast of 4.5:1 or more, even on yellow.
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.3, 0.6)
    colour = f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f'<rect width="64" height="64" fill="{colour}"/>'
        '<text x="32" y="33" text-anchor="middle" dominant-baseline="central" fill="#fff" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
        f'font-size="26" font-weight="600">{escape(initials(player))}</text></svg>'
    )


def initials(player: str) -> str:
    """Return up to two initials: 'ada_lovelace' and 'AdaLovelace' give 'AL', 'bob' 'B'."""
    words = [w for w in re.split(r"[_\-\d]+|(?<=[a-z])(?=[A-Z])", player) if w]
    letters = "".join(w[0] for w in words[:2]) or player[:1]
    return letters.upper()


def _record(player: str, picture: pillow.Picture, upload: str) -> PictureRecord:
    picture_id = f"{picture.digest}-{upload}"
    return PictureRecord(
        username=player,
        content_hash=picture.digest,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        source_format=picture.source_format,
        uploaded_at=now(),
        objects=tuple(
            StoredSize(r.size, object_key(player, picture_id, r.size), len(r.data))
            for r in picture.renditions
        ),
        upload=upload,
    )


def _point(records: Pictures, users: Users, player: str, picture_id: str | None) -> None:
    """Point the player's Users item at their picture, then make sure it is still theirs.

    Two uploads' pointer writes may land in either order. Whoever writes last then reads the
    record, which has its final value by then, and mends the pointer if it differs.
    """
    for _ in range(_ATTEMPTS):
        users.set_picture(player, picture_id)
        current = records.get(player, consistent=True)
        now = current.picture_id if current else None
        if now == picture_id:
            return
        picture_id = now


def _discard(objects: Objects, replaced: PictureRecord | None) -> None:
    """Delete a replaced picture's objects; failing that, only unreferenced objects remain."""
    if replaced is None:
        return
    try:
        objects.delete(replaced.keys)
    except StoreError as err:
        log.warning("Left the replaced picture's objects %s in place: %s", replaced.keys, err)
