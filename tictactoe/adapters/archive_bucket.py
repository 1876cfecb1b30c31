"""The picture bucket's calls that only export and import make: operator-only, never on a
player's path (so the instance role is not granted them; iam/operator-policy.json is)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from tictactoe.adapters.errors import error_code, translated


def object_keys(s3: Any, bucket: str, owner: str, prefix: str) -> Iterator[str]:
    """Yield the key of every object in the bucket under `prefix`, all pages."""
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "ExpectedBucketOwner": owner}
    while True:
        with translated(f"listing bucket {bucket}"):
            page = s3.list_objects_v2(**request)
        yield from (o["Key"] for o in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return
        request["ContinuationToken"] = page["NextContinuationToken"]


def put_object_if_absent(
    s3: Any, bucket: str, owner: str, key: str, body: bytes, content_type: str
) -> bool:
    """Store an object unless one is at `key` already; return True if this call stored it.

    Picture objects are never changed in place (every upload has keys of its own), so one
    already there is the same picture.
    """
    with translated(f"storing {key}"):
        try:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                IfNoneMatch="*",
                ExpectedBucketOwner=owner,
            )
        except ClientError as err:
            # 409: another writer of the same key was in flight; its object is there now.
            if error_code(err) in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
    return True
