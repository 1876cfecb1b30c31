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
    host, port = base_url.removeprefix("http://").split(":")
    cookies: dict[str, str] = {}
    connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))

    def send(method: str, path: str, body: dict[str, str] | None, token: str = "") -> Any:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body is not None:
            headers |= {"Content-Type": "application/json", "X-CSRFToken": token}
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        r = connection.getresponse()
        for header in r.headers.get_all("Set-Cookie") or []:
            key, _, value = header.split(";", 1)[0].partition("=")
            cookies[key.strip()] = value.strip()
        return r.status, r.read()

    try:
        token = json.loads(send("GET", "/api/csrf", None)[1])["csrf_token"]
        for _ in range(attempts):
            status, body = send(
                "POST", "/api/register", {"username": name, "password": PASSWORD}, token
            )
            if status == 201:
                break
            if status == 429:
                connection.close()
                connection = http.client.HTTPConnection(
                    host, int(port), timeout=30, source_address=(address(), 0)
                )
            elif status == 503:
                time.sleep(0.3)
            else:
                raise RuntimeError(f"sign-up of {name}: {status} {body[:200]!r}")
        else:
            raise RuntimeError(f"sign-up of {name}: refused {attempts} times")
        token = json.loads(send("GET", "/api/csrf", None)[1])["csrf_token"]
        return Player(name, dict(cookies), token)
    finally:
        connection.close()


def address() -> str:
    """A loopback address no sign-up has come from yet (127.1.0.1, 127.1.0.2, ...)."""
    with _lock:
        n = next(_addresses)
    return f"127.1.{n // 250}.{n % 250 + 1}"
