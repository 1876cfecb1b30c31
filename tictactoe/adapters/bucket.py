"""The picture bucket: private, created when missing, checked to be our own account's.

Bucket names are global: someone else may own the configured one. Every call that can name
the bucket's expected owner does (ExpectedBucketOwner), so S3 refuses (403) rather than
read or write another account's bucket. The owner is `[s3].expected_bucket_owner` when set,
otherwise this instance's own account, learned once from STS (GetCallerIdentity needs no
permission). At start-up a bucket that is not ours, or a 403, stops the app with one line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.adapters.errors import StoreError, error_code, translated
from tictactoe.config import ConfigError

log = logging.getLogger(__name__)

_MISSING_BUCKET = {"404", "NoSuchBucket", "NotFound"}
_MISSING_OBJECT = {"404", "NoSuchKey", "NotFound"}
_REFUSED = {"403", "AccessDenied", "Forbidden"}


class NotOurBucket(ConfigError):
    """The bucket belongs to another account, or we may not use it: a setting to change."""


class BucketOwner:
    """The account that must own the bucket: the setting, or ours, asked of STS once."""

    def __init__(self, configured: str | None, sts: Callable[[], Any]) -> None:
        self._account = configured
        self._sts = sts
        self._lock = threading.Lock()

    def account(self) -> str:
        """Return the expected owner's account id (raises Unavailable if STS does not answer)."""
        with self._lock:
            if self._account is None:
                with translated("learning this instance's AWS account"):
                    self._account = str(self._sts().get_caller_identity()["Account"])
            return self._account


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    content_type: str


def ensure_bucket(client: Any, bucket: str, region: str, owner: str) -> bool:
    """Create the bucket if it is missing, private; return True if this call created it.

    Raise NotOurBucket if it exists in another account (S3 answers 403 when the expected
    owner is not the real one) or we may not use it. Several instances may start at once:
    losing the CreateBucket race to ourselves (BucketAlreadyOwnedByYou) is fine. An existing
    bucket is left as its owner set it up.
    """
    with translated(f"checking bucket {bucket}"):
        if _exists(client, bucket, owner) or not _create(client, bucket, region, owner):
            return False
        # New buckets are private already; this also forbids anyone making them public.
        client.put_public_access_block(
            Bucket=bucket,
            ExpectedBucketOwner=owner,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    log.info("Created bucket %s", bucket)
    return True


def _exists(client: Any, bucket: str, owner: str) -> bool:
    """Return True if our bucket is there, False if missing; NotOurBucket if it is not ours."""
    try:
        client.head_bucket(Bucket=bucket, ExpectedBucketOwner=owner)
        return True
    except ClientError as err:
        if error_code(err) in _REFUSED:
            raise _not_ours(bucket, owner) from None
        if error_code(err) not in _MISSING_BUCKET:
            raise
        return False


def _create(client: Any, bucket: str, region: str, owner: str) -> bool:
    """Create the bucket; return False if another of our instances just did."""
    options: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":  # us-east-1 refuses an explicit location constraint
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**options)  # (CreateBucket takes no expected owner)
    except ClientError as err:
        if error_code(err) == "BucketAlreadyExists" or error_code(err) in _REFUSED:
            raise _not_ours(bucket, owner) from None
        if error_code(err) != "BucketAlreadyOwnedByYou":
            raise
        return False
    return True


def _not_ours(bucket: str, owner: str) -> NotOurBucket:
    return NotOurBucket(
        f"the picture bucket {bucket!r} belongs to another AWS account than {owner}, or this "
        "instance may not use it (S3 answered 403): set [s3].bucket to a name of your own, "
        "or fix the instance role, or set [s3].expected_bucket_owner to the owning account"
    )


class Objects:
    """Puts, gets and deletes of the picture objects in one bucket."""

    def __init__(self, client: Any, bucket: str, region: str, owner: BucketOwner) -> None:
        self._client = client
        self._bucket = bucket
        self._region = region
        self.owner = owner

    def ensure_bucket(self) -> bool:
        """Create the bucket if missing; raise NotOurBucket if it is not ours (see above)."""
        return ensure_bucket(self._client, self._bucket, self._region, self.owner.account())

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store `body` under `key`, creating the bucket if it went missing."""
        with translated("storing a picture"):
            try:
                self._put(key, body, content_type)
            except ClientError as err:
                if error_code(err) != "NoSuchBucket":
                    raise
                try:
                    self.ensure_bucket()
                except NotOurBucket as gone:  # taken by someone else since we started
                    raise StoreError(str(gone)) from None
                self._put(key, body, content_type)

    def get(self, key: str) -> StoredObject | None:
        """Return the object at `key`, or None if there is none."""
        with translated("reading a picture"):
            try:
                found = self._client.get_object(
                    Bucket=self._bucket, Key=key, ExpectedBucketOwner=self.owner.account()
                )
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
                Bucket=self._bucket,
                Delete={"Objects": objects, "Quiet": True},
                ExpectedBucketOwner=self.owner.account(),
            )
        failed = done.get("Errors", [])
        if failed:
            log.warning("Could not delete %d replaced picture objects: %s", len(failed), failed)

    def _put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ExpectedBucketOwner=self.owner.account(),
        )
