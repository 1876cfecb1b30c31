"""Refuse malformed input before any view runs, so no route has to remember to.

Checked on every request: query strings; JSON bodies under /api (UTF-8, well-formed, an
object, nested at most MAX_DEPTH deep); form fields of the pages. No text anywhere may hold a
NUL or a lone surrogate, or run over MAX_TEXT characters, so such values never reach a view, a
password hash or DynamoDB. A refusal is a 400 (or 415 for a body that is neither JSON under
/api nor a form on the pages) and happens before anything is read from or written to storage.
Picture uploads check their own body once their raised limit applies (see pictures.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, current_app, g, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.formparser import FormDataParser

from tictactoe.services.errors import Invalid
from tictactoe.web import pictures

MAX_TEXT = 1024  # characters in any one field; the longest real one is a 256-character password
MAX_DEPTH = 32  # every body the API takes is one flat object
JSON = "application/json"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")
_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE", *_WITH_BODY)


class _NamedPartsOnly(FormDataParser):
    """Drop multipart parts that have no name.

    Werkzeug keeps them under the key None, on which Flask-WTF's token lookup (and any code
    that takes form keys for strings) fails with a 500.
    """

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        stream, form, files = super().parse(*args, **kwargs)
        return stream, _named(form), _named(files)


def _named(fields: MultiDict[Any, Any]) -> MultiDict[Any, Any]:
    return type(fields)((k, v) for k, v in fields.items(multi=True) if isinstance(k, str))


class _Request(Request):
    form_data_parser_class = _NamedPartsOnly


def register(app: Flask) -> None:
    """Check every request's input first, before any other hook or view."""
    app.request_class = _Request
    # Before Flask-WTF's CSRF check too: it parses forms, which consumes the raw body that
    # this check reads (a refusal here changes nothing, token or not).
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)


def json_object() -> dict[str, Any]:
    """Return the request's JSON object (already checked), or raise Invalid if there is none."""
    body = g.get("json_body")
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    return body


def document(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the refusals above to every operation of the OpenAPI document `doc` (in place)."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in doc["paths"].values():
        for method, operation in path.items():
            if method.upper() not in _METHODS:
                continue  # path-level parameters or a summary
            refusals = _REFUSALS if method.upper() in _WITH_BODY else _REFUSALS[:1]
            for status, description in refusals:
                operation["responses"].setdefault(status, {"description": description})
                operation["responses"][status].setdefault("content", error)
    return doc


_REFUSALS = [
    (
        "400",
        f"Malformed request: a query parameter or field holds a NUL, is not valid Unicode "
        f"or is over {MAX_TEXT} characters; the body is not UTF-8 JSON, not an object, or nested "
        f"over {MAX_DEPTH} levels; or the CSRF token is missing or wrong.",
    ),
    ("413", "The request body is over 64 KiB."),
    ("415", "A body that is not application/json."),
]


def _check_request() -> None:
    if request.routing_exception is not None:
        return  # no such route or method: its 404 or 405 says more than the body's fault
    _require_utf8(request.query_string, "query string")
    check_texts(request.args.items(multi=True), "query parameter")
    if request.method not in _WITH_BODY or _is_upload():
        return
    if request.path.startswith("/api/"):
        g.json_body = _json_body()
    elif request.mimetype in FORMS:
        if request.mimetype == FORMS[0]:
            _require_utf8(request.get_data(cache=True), "form")
        check_texts(request.form.items(multi=True), "form field")
    elif request.get_data(cache=True):
        raise UnsupportedMediaType("Send the form as application/x-www-form-urlencoded.")


def _is_upload() -> bool:
    """Picture uploads read their own (larger) body; reading it here would hit the 64 KiB cap."""
    view = current_app.view_functions.get(request.endpoint or "")
    while view is not None:  # accepts_upload may sit under other decorators (signed_in)
        if view in pictures.UPLOAD_VIEWS:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _json_body() -> Any:
    """Parse a JSON body, or return None when there is none. Raise Invalid or 415 if bad."""
    data = request.get_data(cache=True)  # 413 over MAX_CONTENT_LENGTH, before any is read
    if not data:
        return None
    if request.mimetype != JSON:
        raise UnsupportedMediaType("Send the body as application/json.")
    return parse_json(data)


def parse_json(data: bytes) -> dict[str, Any]:
    """Return the JSON object in `data`, or raise Invalid saying what is wrong with it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the body must be UTF-8 text") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # the parser recurses once per level: deeper than Python allows
        raise Invalid(f"the JSON is nested too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError:  # malformed, or an integer too long to convert
        raise Invalid("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise Invalid("the body must be a JSON object")
    check_texts(_walk(value), "field")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _walk(value: Any) -> Iterable[tuple[str, str]]:
    """Yield (key, text) for every string in `value`; raise Invalid past MAX_DEPTH levels.

    Iterative, so a deep document costs no recursion.
    """
    stack: list[tuple[str, Any, int]] = [("body", value, 1)]
    while stack:
        key, node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Invalid(f"the JSON is nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(node, dict):
            for name, child in node.items():
                yield name, name
                stack.append((name, child, depth + 1))
        elif isinstance(node, list):
            stack.extend((key, child, depth + 1) for child in node)
        elif isinstance(node, str):
            yield key, node


def _require_utf8(encoded: bytes, what: str) -> None:
    """Raise Invalid unless URL-encoded `encoded` decodes to UTF-8.

    (Werkzeug would keep undecodable bytes as literal "%FF" text, which no check then sees.)
    """
    try:
        unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"the {what} is not UTF-8 text") from None


def check_texts(pairs: Iterable[tuple[str, str]], what: str) -> None:
    """Raise Invalid if a name or value holds a NUL, a lone surrogate, or over MAX_TEXT chars."""
    for name, text in pairs:
        for part in (name, text):
            if len(part) > MAX_TEXT:
                raise Invalid(f"{what} {_shown(name)} is over {MAX_TEXT} characters")
            if "\x00" in part:
                raise Invalid(f"{what} {_shown(name)} must not contain NUL characters")
            if not _is_unicode(part):
                raise Invalid(f"{what} {_shown(name)} is not valid Unicode text")


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, as JSON's "\\ud800" allows
        return False
    return True


def _shown(name: str) -> str:
    """Name a field in a message, without echoing a hostile name back."""
    if len(name) <= 40 and name.isprintable() and _is_unicode(name):
        return repr(name)
    return "(unnamed)"
