"""Security headers on every answer: pages, API, errors, static files and the Socket.IO handshake.

They are added by a WSGI middleware around the whole application, Flask-SocketIO's Engine.IO
middleware included: the Socket.IO endpoint (``/socket.io/``) answers before Flask sees the
request, so a Flask ``after_request`` hook would miss it. A header an answer sets itself wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

# Scripts, styles and everything else from our own origin only; no framing by any other page.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)


def security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers every answer carries; HSTS only over https."""
    return [*SECURITY_HEADERS, *([("Strict-Transport-Security", HSTS)] if secure else [])]


class SecurityHeaders:
    """WSGI middleware: add the security headers an answer lacks.

    It must sit inside ProxyFix (which sets ``wsgi.url_scheme`` from X-Forwarded-Proto), so
    that HSTS follows the scheme the browser used. The body is passed through untouched, and
    a websocket upgrade (which may never call ``start_response``) is not disturbed.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        secure = environ.get("wsgi.url_scheme") in ("https", "wss")

        def start_with_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            extra = [(name, value) for name, value in security_headers(secure) if name.lower() not in present]
            return start_response(status, [*headers, *extra], exc_info)

        return self.app(environ, start_with_headers)


def init_app(app: Flask) -> None:
    """Wrap the app (after Flask-SocketIO installed its middleware, before ProxyFix) in the headers."""
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
