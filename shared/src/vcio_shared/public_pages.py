"""Security headers for the pages a client opens without signing in (proposals' /p/, strategy's /s/): a fresh CSP
nonce per answer (in `request.state.csp_nonce` for the templates), no referrer, no framing, never cached."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class PublicPageHeaders:
    """Every answer under `prefix` (pages, PDFs, problems) carries `csp(nonce)` with a fresh nonce, no-referrer,
    DENY framing, no-store, and `extra` headers."""

    def __init__(
        self, app: ASGIApp, *, prefix: str, csp: Callable[[str], str], extra: Sequence[tuple[bytes, bytes]] = ()
    ) -> None:
        self.app, self.prefix, self.csp, self.extra = app, prefix, csp, tuple(extra)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        nonce = base64.b64encode(secrets.token_bytes(16)).decode()
        scope.setdefault("state", {})["csp_nonce"] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += [
                    (b"content-security-policy", self.csp(nonce).encode()),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                    *self.extra,
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
