"""The avatar bucket: private, created when missing, objects named by their content."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .store.errors import error_code, translated

log = logging.getLogger(__name__)

_MISSING_BUCKET = {"404", "NoSuchBucket", "NotFound"}
_MISSING_OBJECT = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    content_type: str


def ensure_bucket(client: Any, bucket: str, region: str) -> bool:
    """Create the bucket if it is missing, private; return True if this call created it.

    Several instances may start at once: losing the CreateBucket race to ourselves
    (BucketAlreadyOwnedByYou) is fine. An existing bucket is left as its owner set it up.
    """
    with translated(f"checking bucket {bucket}"):
        try:
            client.head_bucket(Bucket=bucket)
            return False
        except ClientError as err:
            if error_code(err) not in _MISSING_BUCKET:
                raise
        options: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":  # us-east-1 refuses an explicit location constraint
            options["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**options)
        except ClientError as err:
            if error_code(err) != "BucketAlreadyOwnedByYou":
                raise
            return False
        # New buckets are private already; this also forbids anyone making them public.
        client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    log.info("Created bucket %s", bucket)
    return True


class Objects:
    """Puts, gets and deletes of the avatar objects in one bucket."""

    def __init__(self, client: Any, bucket: str, region: str) -> None:
        self._client = client
        self._bucket = bucket
        self._region = region

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store `body` under `key`, creating the bucket if it went missing."""
        with translated("storing a picture"):
            try:
                self._put(key, body, content_type)
            except ClientError as err:
                if error_code(err) != "NoSuchBucket":
                    raise
                ensure_bucket(self._client, self._bucket, self._region)
                self._put(key, body, content_type)

    def get(self, key: str) -> StoredObject | None:
        """Return the object at `key`, or None if there is none."""
        with translated("reading a picture"):
            try:
                found = self._client.get_object(Bucket=self._bucket, Key=key)
            except ClientError as err:
                if error_code(err) in _MISSING_OBJECT | {"NoSuchBucket"}:
                    return None
                raise
            body = found["Body"].read()
        return StoredObject(body, found.get("ContentType", "application/octet-stream"))

    def delete(self, keys: Iterable[str]) -> None:
        """Delete the objects at `keys` (missing ones are fine), in one request."""
        objects = [{"Key": key} for key in keys]
        if not objects:
            return
        with translated("deleting pictures"):
            done = self._client.delete_objects(
                Bucket=self._bucket, Delete={"Objects": objects, "Quiet": True}
            )
        failed = done.get("Errors", [])
        if failed:
            log.warning("Could not delete %d replaced picture objects: %s", len(failed), failed)

    def _put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)
