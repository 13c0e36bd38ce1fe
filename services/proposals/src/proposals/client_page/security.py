"""What guards the client's page: security headers with a CSP nonce, double-submit CSRF, an in-process rate limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_PREFIX = "/p/"
CSRF_COOKIE = "vcio_csrf"


def csp(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


class PageSecurityHeaders:
    """Every answer under /p/ (pages, PDFs, problems) carries a fresh nonce'd CSP and no-referrer; never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PAGE_PREFIX):
            await self.app(scope, receive, send)
            return
        nonce = base64.b64encode(secrets.token_bytes(16)).decode()
        scope.setdefault("state", {})["csp_nonce"] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"cache-control",)]
                headers += [
                    (b"content-security-policy", csp(nonce).encode()),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Csrf:
    """Double-submit: the same value in a cookie and in the form; HMAC-bound to the proposal link."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _sig(self, nonce: str, token: str) -> str:
        return hmac.new(self.secret, f"{nonce}.{token}".encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, token: str) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._sig(nonce, token)}"

    def valid_for(self, value: str | None, token: str) -> bool:
        if not value or value.count(".") != 1:
            return False
        nonce, sig = value.split(".")
        return hmac.compare_digest(sig, self._sig(nonce, token))

    def check(self, cookie: str | None, submitted: str | None, token: str) -> bool:
        return bool(cookie and submitted and hmac.compare_digest(cookie, submitted) and self.valid_for(cookie, token))
