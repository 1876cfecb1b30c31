"""The push stack's players: signed up through nginx from loopback addresses of their own."""

from __future__ import annotations

import http.client
import json
import threading
import time
from itertools import count
from typing import Any

from bench.flows import PASSWORD
from bench.load import Player

# The sign-up limit's default is 20 an hour from one client, and a try refused as busy (503)
# counts too: half of it per address leaves room for the tries.
SIGNUPS_PER_ADDRESS = 10
_addresses = count()  # each address a client of its own to the limits
_lock = threading.Lock()


def sign_up(base_url: str, name: str, source: str, attempts: int = 30) -> Player:
    """Register `name` from the loopback address `source`; return its cookies and token.

    A 503 (the hashing slots are busy) is tried again shortly, as a person would; each try
    counts against the address's sign-ups, so a 429 moves on to a fresh address."""
    client = _Client(base_url, source)
    try:
        token = client.token()
        for _ in range(attempts):
            form = {"username": name, "password": PASSWORD}
            status, body = client.send("POST", "/api/register", form, token)
            if status == 201:
                break
            if status == 429:
                client.connect(address())
            elif status == 503:
                time.sleep(0.3)
            else:
                raise RuntimeError(f"sign-up of {name}: {status} {body[:200]!r}")
        else:
            raise RuntimeError(f"sign-up of {name}: refused {attempts} times")
        token = client.token()  # first: its session comes back in a new cookie
        return Player(name, dict(client.cookies), token)
    finally:
        client.connection.close()


class _Client:
    """One keep-alive connection from a loopback address, and the cookies it was given."""

    def __init__(self, base_url: str, source: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port, self.cookies = host, int(port), dict[str, str]()
        self.connection = http.client.HTTPConnection(
            host, self.port, timeout=30, source_address=(source, 0)
        )

    def connect(self, source: str) -> None:
        """Go on from another address (the cookies stay)."""
        self.connection.close()
        self.connection = http.client.HTTPConnection(
            self.host, self.port, timeout=30, source_address=(source, 0)
        )

    def token(self) -> str:
        return str(json.loads(self.send("GET", "/api/csrf", None)[1])["csrf_token"])

    def send(self, method: str, path: str, body: dict[str, str] | None, token: str = "") -> Any:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers |= {"Content-Type": "application/json", "X-CSRFToken": token}
        data = json.dumps(body) if body is not None else None
        self.connection.request(method, path, data, headers)
        r = self.connection.getresponse()
        for header in r.headers.get_all("Set-Cookie") or []:
            key, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[key.strip()] = value.strip()
        return r.status, r.read()


def address() -> str:
    """A loopback address no sign-up has come from yet (127.1.0.1, 127.1.0.2, ...)."""
    with _lock:
        n = next(_addresses)
    return f"127.1.{n // 250}.{n % 250 + 1}"
