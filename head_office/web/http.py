"""What every web module reads from a request and adds to a response: the store, the page's
language and the security headers (routes and admin both use them; admin is below routes)."""

from __future__ import annotations

from typing import cast

from fastapi import Request
from fastapi.responses import Response

from head_office.store import Store
from head_office.web import i18n

#: the pages' Content-Security-Policy: scripts and styles from this server only
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")


def store_of(request: Request) -> Store:
    return cast(Store, request.app.state.store)


def language_of(request: Request) -> str:
    """`?lang=`, else the language cookie, else Chinese."""
    return i18n.pick(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE))


def secure_headers(response: Response) -> Response:
    """The headers every page of head office carries."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = CSP
    return response
