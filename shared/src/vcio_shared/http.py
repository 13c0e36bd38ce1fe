"""ASGI middleware: body size limit, trace context, access log and metrics, security headers."""

from __future__ import annotations

import time
from typing import Any

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vcio_shared.logging import set_traceparent
from vcio_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = structlog.get_logger("vcio.http")


def _problem_bytes(status: int, title: str, detail: str) -> bytes:
    return orjson.dumps(
        {
            "type": f"https://vcio.dev/problems/{title.lower().replace(' ', '-')}",
            "title": title,
            "status": status,
            "detail": detail,
        }
    )


class PlatformMiddleware:
    """One pure-ASGI layer for what every request needs; cheap enough to sit on the hot path."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 1_048_576) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        set_traceparent(headers.get(b"traceparent", b"").decode("latin-1") or None)
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_body_bytes
            except ValueError:
                too_big = True
            if too_big:
                await self._reject(send, 413, "Content Too Large", f"request body exceeds {self.max_body_bytes} bytes")
                return
        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = list(message.get("headers", []))
                raw.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except _BodyTooLarge:
            await self._reject(send, 413, "Content Too Large", f"request body exceeds {limit} bytes")
            status = 413
        finally:
            route: Any = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - start
            HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], path).observe(elapsed)
            if status >= 500:
                log.warning(
                    "request failed", method=scope["method"], route=path, status=status, ms=round(elapsed * 1000, 1)
                )

    @staticmethod
    async def _reject(send: Send, status: int, title: str, detail: str) -> None:
        body = _problem_bytes(status, title, detail)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass
