"""[flask].force_https: send plain-HTTP requests to HTTPS, and tell browsers to stay there.

Registered first in create_app, so a request that came over plain HTTP is redirected before
anything else (the CSRF check included) looks at it. Whether it came over HTTPS is what
`request.is_secure` says: behind the load balancer that is X-Forwarded-Proto, believed
through ProxyFix only when [flask].trusted_proxies says there are proxies in front. The
redirect goes to [flask].public_origin's host when it is set (hosts.py), never to one that
only the request's Host header names.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from tictactoe.web.layers import hosts

log = logging.getLogger(__name__)

# The load balancer's health check speaks plain HTTP to the instance and wants a 200.
EXEMPT_PATHS = frozenset({"/health"})
# One year. No includeSubDomains: the app cannot know what else runs under the operator's
# domain, and that would force HTTPS on all of it for a year.
HSTS = "max-age=31536000"


def register(app: Flask, trusted_proxies: int) -> None:
    """Redirect plain-HTTP requests (except the health check) and add HSTS to every response."""
    if not trusted_proxies:
        log.warning(
            "force_https is on and trusted_proxies is 0: X-Forwarded-Proto is ignored, so only "
            "TLS that reaches the app itself counts as HTTPS. Behind a proxy that ends TLS, "
            "every request would be redirected again and again; set [flask].trusted_proxies."
        )
    app.before_request(_redirect_plain_http)
    app.after_request(_add_hsts)


def _redirect_plain_http() -> BaseResponse | None:
    if request.is_secure or request.path in EXEMPT_PATHS:
        return None
    url = urlsplit(request.url)
    public = hosts.origin()
    # The plain-HTTP port has no place in an https URL.
    host = urlsplit(public).netloc if public else url.netloc.removesuffix(":80")
    return redirect(url._replace(scheme="https", netloc=host).geturl(), code=301)


def _add_hsts(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
