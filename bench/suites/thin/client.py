"""A minimal DynamoDB client, measured and not used by the app: botocore signs, urllib3 sends.

It is what "a thin client of our own for the hottest calls" would be at its smallest (issue
27, item 1): the request is DynamoDB's JSON protocol (a POST of the operation's parameters,
the operation named in X-Amz-Target, "Amazon DynamoDB API Reference"), signed by botocore's
own SigV4Auth, sent on one kept-alive urllib3 connection pool, and its answer read with
json.loads. It handles the success path and a refused condition (the `__type` of the error
body) and nothing else: no retries, no throttling back-off, no endpoint rules, no binary
values, no hooks. Whatever a production client would add to that only adds CPU, so its
figure is the most a thin client could save.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# The JSON protocol's version of the DynamoDB API, as botocore's model names it.
TARGET = "DynamoDB_20120810"
CONTENT_TYPE = "application/x-amz-json-1.0"


class Refused(Exception):
    """A conditional write was refused; `item` is the item as it is (when asked for)."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("ConditionalCheckFailedException")
        self.item = item


class Failed(Exception):
    """Any other error answer: its status and DynamoDB's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class ThinClient:
    """Signed DynamoDB calls on one kept-alive connection.

    `keep_signer`: sign every call with one SigV4Auth made here from the credentials as they
    are now; otherwise freeze the credentials and make a new SigV4Auth on every call, as
    botocore's RequestSigner does so that rotated credentials are picked up.
    """

    def __init__(
        self, endpoint: str, region: str, credentials: Credentials, keep_signer: bool = False
    ) -> None:
        self._url = endpoint.rstrip("/") + "/"
        self._region, self._credentials = region, credentials
        self._signer = self._new_signer() if keep_signer else None
        # One connection, kept alive between calls (urllib3 keeps it once a body is read).
        self._pool = urllib3.connection_from_url(
            self._url, maxsize=1, timeout=urllib3.Timeout(connect=2, read=5), retries=False
        )

    def _new_signer(self) -> SigV4Auth:
        return SigV4Auth(self._credentials.get_frozen_credentials(), "dynamodb", self._region)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Make one call; return DynamoDB's answer as it sent it. Refused, Failed: its error."""
        body = json.dumps(params).encode()
        request = AWSRequest(
            method="POST",
            url=self._url,
            data=body,
            headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{TARGET}.{operation}"},
        )
        (self._signer or self._new_signer()).add_auth(request)
        answer = self._pool.urlopen("POST", "/", body=body, headers=dict(request.headers.items()))
        decoded: dict[str, Any] = json.loads(answer.data) if answer.data else {}
        if answer.status == 200:
            return decoded
        # e.g. "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
        code = str(decoded.get("__type", "")).rpartition("#")[2]
        if code == "ConditionalCheckFailedException":
            raise Refused(decoded.get("Item"))
        raise Failed(answer.status, code, str(decoded.get("message", decoded.get("Message"))))

    def close(self) -> None:
        self._pool.close()
