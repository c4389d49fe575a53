"""Who may use the desk and what a request may do.

- Without a token, only requests addressed to a loopback name (the Host header) are
  answered. Away from loopback an access token is required (``Authorization: Bearer`` or the cookie
  set by the login form); it is compared in constant time and never logged.
- Every POST carries a CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) signed
  with the desk's secret, and an ``Origin``, when sent, must be the desk's own.
- Every response carries a Content-Security-Policy that allows only the desk's own script
  and styles, no framing, and no referrer to other sites.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # same-origin, not no-referrer: with no-referrer a form post says "Origin: null".
    "referrer-policy": "same-origin",
}
AUTH_COOKIE = "desk_auth"
#: Paths open without the access token: the login form, static files, and the digest's
#: one-click links (their signed token is their authority).
OPEN_PREFIXES = ("/login", "/static/", "/l/")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (another site, ``//host``, a scheme) is
    refused, so no link can send a reviewer elsewhere through the desk."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    return target


class Csrf:
    """CSRF tokens: the desk's secret signs a fixed purpose string."""

    def __init__(self, secret: str) -> None:
        self._s = URLSafeSerializer(secret, salt="newsmon-desk-csrf")
        self.token = str(self._s.dumps("csrf"))

    def valid(self, value: str | None) -> bool:
        if not value:
            return False
        try:
            return bool(self._s.loads(value) == "csrf")
        except BadSignature:
            return False


class AuthToken:
    """The access token (None: loopback only, no token) and the cookie that carries it."""

    def __init__(self, token: str | None, secret: str) -> None:
        self.token = token
        self._s = URLSafeSerializer(secret, salt="newsmon-desk-auth")

    def cookie_value(self) -> str:
        return str(self._s.dumps("ok"))

    def check_token(self, value: str) -> bool:
        return self.token is not None and hmac.compare_digest(
            value.encode("utf-8"), self.token.encode("utf-8")
        )

    def allowed(self, request: Request) -> bool:
        if self.token is None:
            return True
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer ") and self.check_token(header[7:].strip()):
            return True
        cookie = request.cookies.get(AUTH_COOKIE)
        if cookie:
            try:
                return bool(self._s.loads(cookie) == "ok")
            except BadSignature:
                return False
        return False


class GuardMiddleware:
    """Token, CSRF and Origin checks before a route runs; security headers on every reply."""

    def __init__(
        self, app: ASGIApp, auth: AuthToken, csrf: Csrf, base_url: str | None = None
    ) -> None:
        self.app = app
        self.auth = auth
        self.csrf = csrf
        # Behind a proxy the browser's Origin is the public address (ui.base_url).
        self.public = urlsplit(base_url).netloc if base_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                have = {bytes(k).lower() for k, _v in headers}
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()
                            if k.encode() not in have]  # fmt: skip
                message["headers"] = headers
            await send(message)

        request = Request(scope, receive)
        refusal = self._refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)  # type: ignore[arg-type]
            return
        await self.app(scope, receive, send_with_headers)  # type: ignore[arg-type]

    def _refusal(self, request: Request) -> Response | None:
        path = request.url.path
        if self.auth.token is None and not is_loopback(request.url.hostname or ""):
            # Without a token the desk is for this machine only: a page elsewhere that
            # rebinds its own name to 127.0.0.1 (DNS rebinding) must not read it.
            return PlainTextResponse("this desk answers to 127.0.0.1 only", status_code=421)
        if not path.startswith(OPEN_PREFIXES) and not self.auth.allowed(request):
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                return RedirectResponse("/login", status_code=303)
            return PlainTextResponse("the desk needs its access token", status_code=401)
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            if origin is not None and urlsplit(origin).netloc not in (
                request.url.netloc,
                self.public,
            ):
                return PlainTextResponse("cross-site request refused", status_code=403)
        return None


async def require_csrf(request: Request) -> Response | None:
    """The CSRF check of a POST (form field or header); None when it passes."""
    csrf: Csrf = request.app.state.csrf
    value = request.headers.get("x-csrf-token")
    if value is None:
        form = await request.form()
        field = form.get("csrf")
        value = field if isinstance(field, str) else None
    if not csrf.valid(value):
        return PlainTextResponse(
            "missing or invalid CSRF token: reload the page and try again", status_code=403
        )
    return None


Handler = Callable[[Request], Awaitable[Response]]


def post_guarded(handler: Handler) -> Handler:
    """Wrap a POST route with the CSRF check."""

    async def wrapped(request: Request) -> Response:
        refusal = await require_csrf(request)
        return refusal if refusal is not None else await handler(request)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped
