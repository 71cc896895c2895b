"""The guard in front of every request: access token, host, origin and upload size.

One pure ASGI middleware (no request body is buffered by it) that, for every HTTP request:

1. bound to loopback without a token, accepts only loopback ``Host`` headers, so that a web page
   elsewhere cannot reach the server through DNS rebinding;
2. with a token, accepts the request only with the token, as ``Authorization: Bearer TOKEN`` or
   the cookie set by ``/login``, compared in constant time (:func:`hmac.compare_digest`); a page
   without it is sent to ``/login``, an API call gets 401;
3. refuses a state-changing request whose ``Origin`` is another site (cross-site form posts);
4. refuses a body over the upload limit with 413: at once from ``Content-Length``, or, for a
   streamed body, as soon as the bytes received pass the limit.
"""

from __future__ import annotations

import hmac
import json
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evgrid.web.settings import Settings, is_loopback

TOKEN_COOKIE = "evgrid_token"
"""Cookie that carries the access token for the pages (set by ``/login``, HttpOnly)."""
OPEN_PATHS = ("/login", "/static/evgrid.css")
"""Paths answered without the token: the form that asks for it, and its style sheet (public,
the same on every server)."""
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DRAIN_FACTOR = 4
"""An upload declared up to this many times the limit is read and dropped before the 413, so
that a client still sending sees the answer; a larger one gets it at once and the connection is
closed [-]."""
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
"""Pages may load scripts, styles and data from this server only: the browser itself enforces
that the app works offline (no CDN) and that a page cannot send data elsewhere."""
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def too_large(limit: int) -> HTTPException:
    """The 413 error of an upload over ``limit`` bytes."""
    return HTTPException(
        413, f"upload: larger than the limit of {limit / (1024 * 1024):.3g} MiB ({limit} bytes)"
    )


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison of a presented token with the server's."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def presented_token(headers: Headers) -> str | None:
    """The token a request presents: ``Authorization: Bearer`` first, else the cookie."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == TOKEN_COOKIE and value:
            return value
    return None


def _host_name(host_header: str) -> str:
    """``127.0.0.1:8000`` -> ``127.0.0.1``; ``[::1]:8000`` -> ``::1``."""
    return urlsplit(f"//{host_header}").hostname or ""


class Guard:
    """The ASGI middleware described in the module docstring.

    Parameters
    ----------
    app
        The application it guards.
    settings
        Host, token and upload limit.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            if refusal.status == 413 and refusal.drain:
                await _drain(receive)
            await refusal(send)
            return
        limit = self.settings.max_upload_bytes
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        await self.app(scope, limited, send_with_headers)

    def _refusal(self, scope: Scope, headers: Headers) -> _Answer | None:
        path: str = scope.get("path", "/")
        api = path.startswith("/api/") or path == "/openapi.json"
        token = self.settings.token
        if token is None and self.settings.loopback:
            host = _host_name(headers.get("host", ""))
            if not is_loopback(host):
                return _Answer(
                    400,
                    f"host: got {host!r}; allowed: a loopback name (127.0.0.1, localhost)",
                    html=not api,
                )
        if token is not None and path not in OPEN_PATHS:
            given = presented_token(headers)
            if not token_matches(given, token):
                if not api and scope["method"] == "GET":
                    query = scope.get("query_string", b"").decode("latin-1")
                    target = path + (f"?{query}" if query else "")
                    return _Answer(303, "", location=f"/login?next={quote(target, safe='')}")
                what = "missing" if given is None else "wrong"
                return _Answer(
                    401,
                    f"access token: {what}; allowed: the server's token as "
                    "'Authorization: Bearer TOKEN'",
                    extra=[(b"www-authenticate", b"Bearer")],
                )
        if scope["method"] in UNSAFE_METHODS:
            origin = headers.get("origin")
            if origin and urlsplit(origin).netloc != headers.get("host", ""):
                message = f"origin: got {origin!r}; allowed: this server's own pages"
                return _Answer(403, message, html=not api)
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.settings.max_upload_bytes:
            error = too_large(self.settings.max_upload_bytes)
            extra = [(b"connection", b"close")]
            answer = _Answer(413, str(error.detail), html=not api, extra=extra)
            answer.drain = int(length) <= DRAIN_FACTOR * self.settings.max_upload_bytes
            return answer
        return None


async def _drain(receive: Receive) -> None:
    """Read and drop a request body, so that the client, still sending, reads the answer."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class _Answer:
    """A small JSON error (or redirect) sent by the guard itself."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        location: str | None = None,
        html: bool = False,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.status = status
        self.drain = False
        if html:
            page = f"<!DOCTYPE html><title>evgrid</title><p>{escape(message)}</p><a href='/'>/</a>"
            self.body, media = page.encode("utf-8"), b"text/html; charset=utf-8"
        else:
            self.body = b"" if location else json.dumps({"error": message}).encode("utf-8")
            media = b"application/json"
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-type", media),
            (b"content-length", str(len(self.body)).encode()),
            *(extra or []),
        ]
        if location:
            self.headers.append((b"location", location.encode("latin-1")))

    async def __call__(self, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})
