"""Check real responses against the served OpenAPI document."""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import jsonschema
from flask.testing import FlaskClient

from tictactoe.web.api import openapi_document


class UndocumentedResponse(AssertionError):
    pass


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    doc = openapi_document()
    return [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p) for p in doc["paths"]]


def _resolve(node: Any, doc: dict[str, Any]) -> Any:
    """Inline $refs and turn OpenAPI 3.0 `nullable` into JSON Schema."""
    if isinstance(node, list):
        return [_resolve(n, doc) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _resolve(doc["components"]["schemas"][name], doc)
    out = {k: _resolve(v, doc) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        out["type"] = [out["type"], "null"]
    return out


def check(method: str, path: str, status: int, body: Any) -> None:
    """Raise unless the document lists this status for this operation and the body fits."""
    doc = openapi_document()
    template = next((t for pattern, t in _routes() if pattern.match(path)), None)
    if template is None or method == "OPTIONS":
        return  # not an API path (pages, static files), or Flask's answer naming the methods
    headless = method == "HEAD"  # GET's answer without its body
    if headless:
        method = "GET"
    operation = doc["paths"][template].get(method.lower())
    if operation is None:
        if status == 405:
            return
        raise UndocumentedResponse(f"{method} {template} is not documented")
    documented = operation["responses"].get(str(status))
    if documented is None:
        raise UndocumentedResponse(f"{method} {template} answered {status}, not in the document")
    schema = documented.get("content", {}).get("application/json", {}).get("schema")
    if schema is not None and not headless:
        jsonschema.validate(body, _resolve(copy.deepcopy(schema), doc))


class CheckedClient(FlaskClient):
    """A test client that checks every API response against the OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        request = response.request
        body = response.get_json(silent=True) if response.is_json else None
        check(request.method, request.path, response.status_code, body)
        return response
