"""The Avatars table: which picture each player has, written only on condition of the last one.

Item layout (one item per player that has a picture), keyed like Users:
  UserKey       the lower-cased username
  Username      as the player typed it
  ContentHash   sha256 of the renditions
  Upload        this upload's own id (absent on records from before it existed); the picture's
                id is ContentHash-Upload, part of every object key and picture URL, so no two
                uploads ever share an object, even of the same picture
  ContentType, Width, Height (of the upload, upright), SourceFormat, UploadedAt
  Objects       {"256": {"Key": ..., "Bytes": ...}, "64": {...}}: the S3 object per size
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.store.errors import error_code, refused_item, translated


@dataclass(frozen=True)
class StoredSize:
    size: int  # pixels, square
    key: str  # the S3 object
    bytes: int


@dataclass(frozen=True)
class PictureRecord:
    username: str
    content_hash: str
    content_type: str
    width: int
    height: int
    source_format: str
    uploaded_at: str
    objects: tuple[StoredSize, ...]
    upload: str | None = None  # None: a record from before uploads had ids of their own

    @property
    def keys(self) -> list[str]:
        return [o.key for o in self.objects]

    @property
    def picture_id(self) -> str:
        """Name this upload's picture: in its object keys, its URLs, sessions and games."""
        return f"{self.content_hash}-{self.upload}" if self.upload else self.content_hash


class PictureRejected(Exception):
    """A conditional picture write failed; `current` is the record as it is now (None: none)."""

    def __init__(self, current: PictureRecord | None) -> None:
        super().__init__("the picture changed meanwhile")
        self.current = current


class Pictures:
    """Reads and conditional writes of the Avatars table."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, name: str, consistent: bool = False) -> PictureRecord | None:
        """Return the picture record of the player `name` (any letter case), or None."""
        with translated("reading a picture record"):
            found = self._client.get_item(
                TableName=self._table, Key=_key(name), ConsistentRead=consistent
            )
        item = found.get("Item")
        return _record(item) if item else None

    def put(self, record: PictureRecord, replacing: str | None) -> None:
        """Make `record` the player's picture if their current one is still `replacing`
        (a picture id; None: no picture). Otherwise raise PictureRejected with the current one."""
        values: dict[str, Any]
        if replacing is None:
            condition, values = "attribute_not_exists(UserKey)", {}
        else:
            condition, values = _naming(replacing)
        with translated("storing a picture record"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=_item(record),
                    ConditionExpression=condition,
                    **({"ExpressionAttributeValues": values} if values else {}),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise _rejected(err) from err

    def delete(self, name: str, replacing: str) -> None:
        """Remove the player's picture record if it is still the picture id `replacing`."""
        condition, values = _naming(replacing)
        with translated("removing a picture record"):
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key=_key(name),
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                raise _rejected(err) from err


def _naming(picture_id: str) -> tuple[str, dict[str, Any]]:
    """Return the condition that the stored record is the picture `picture_id`."""
    digest, _, upload = picture_id.partition("-")
    values = {":hash": {"S": digest}}
    if not upload:  # a record from before uploads had ids
        return "ContentHash = :hash AND attribute_not_exists(Upload)", values
    return "ContentHash = :hash AND Upload = :upload", {**values, ":upload": {"S": upload}}


def _rejected(err: ClientError) -> Exception:
    if error_code(err) != "ConditionalCheckFailedException":
        return err
    item = refused_item(err)
    return PictureRejected(_record(item) if item else None)


def _key(name: str) -> dict[str, Any]:
    return {"UserKey": {"S": name.lower()}}


def _item(record: PictureRecord) -> dict[str, Any]:
    upload = {"Upload": {"S": record.upload}} if record.upload else {}
    return {
        **upload,
        **_key(record.username),
        "Username": {"S": record.username},
        "ContentHash": {"S": record.content_hash},
        "ContentType": {"S": record.content_type},
        "Width": {"N": str(record.width)},
        "Height": {"N": str(record.height)},
        "SourceFormat": {"S": record.source_format},
        "UploadedAt": {"S": record.uploaded_at},
        "Objects": {
            "M": {
                str(o.size): {"M": {"Key": {"S": o.key}, "Bytes": {"N": str(o.bytes)}}}
                for o in record.objects
            }
        },
    }


def _record(item: dict[str, Any]) -> PictureRecord:
    objects = sorted(
        (
            StoredSize(int(size), o["M"]["Key"]["S"], int(o["M"]["Bytes"]["N"]))
            for size, o in item["Objects"]["M"].items()
        ),
        key=lambda o: -o.size,
    )
    return PictureRecord(
        username=item["Username"]["S"],
        content_hash=item["ContentHash"]["S"],
        content_type=item["ContentType"]["S"],
        width=int(item["Width"]["N"]),
        height=int(item["Height"]["N"]),
        source_format=item["SourceFormat"]["S"],
        uploaded_at=item["UploadedAt"]["S"],
        objects=tuple(objects),
        upload=item.get("Upload", {}).get("S"),
    )
