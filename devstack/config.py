"""What the stack's app processes are given: the config file it writes, and their environment."""

from __future__ import annotations

import json
import os

REGION = "us-west-2"
# Fake credentials, and no profile or config file of the machine: nothing can reach AWS.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

Tables = dict[str, dict[str, str | int | bool]]


def app_config(
    dynamodb: str, s3: str, origin: str | None, proxies: int, extra: Tables | None = None
) -> str:
    """Return a config file for the app on these endpoints, `extra` merged in per table.

    `origin` is the address players use: the instance's nginx passes the host without its
    port (as the platform's does), so links are built from it; None leaves the key out, for a
    tree older than it. `proxies` counts the ones that add to X-Forwarded-For: the instance's
    nginx, and the load balancer when there is one."""
    flask: dict[str, str | int | bool] = {"trusted_proxies": proxies}
    if origin is not None:
        flask["public_origin"] = origin
    tables: Tables = {
        "dynamodb": {"region": REGION, "endpoint": dynamodb},
        "s3": {"endpoint": s3},
        "flask": flask,
    }
    for name, values in (extra or {}).items():
        tables[name] = {**tables.get(name, {}), **values}
    return "\n".join(
        f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
        for name, values in tables.items()
    )
