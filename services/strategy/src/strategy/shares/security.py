"""Security headers on the public share pages (/s/...): a fresh CSP nonce per answer, no referrer, no framing,
never cached. The pages carry no script and no form."""

from __future__ import annotations

import base64
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_PREFIX = "/s/"


def csp(nonce: str) -> str:
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


class SharePageHeaders:
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
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += [
                    (b"content-security-policy", csp(nonce).encode()),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"x-robots-tag", b"noindex"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
