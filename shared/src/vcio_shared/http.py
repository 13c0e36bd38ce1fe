"""ASGI middleware: body size limit, trace context, access log and metrics, security headers, hot reads, CORS."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
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


@dataclass(frozen=True)
class HotRead:
    """A GET answered before FastAPI's router, for the few reads integrations call most: FastAPI's routing and
    dependency solving cost more than the rest of such a request. `answer(scope, headers, match)` returns the
    200 JSON body, or None to leave the request to the route, which stays the reference: it answers every
    failure (401, 403, 404, 422, 503) and any request with a query string, and it is what OpenAPI documents.
    An exception in `answer` also leaves the request to the route."""

    route: str  # the route's path template, as metrics name it: "/v1/invoices/{invoice_id}"
    pattern: re.Pattern[str]
    answer: Callable[[Scope, dict[bytes, bytes], re.Match[str]], Awaitable[str | bytes | None]]


class PlatformMiddleware:
    """One pure-ASGI layer for what every request needs; cheap enough to sit on the hot path."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 1_048_576, hot_reads: Sequence[HotRead] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.hot_reads = tuple(hot_reads)

    # long: every request passes here, and a split would add a call to each
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
        if self.hot_reads and scope["method"] == "GET" and not scope.get("query_string"):
            for hot in self.hot_reads:
                match = hot.pattern.fullmatch(scope["path"])
                if match is not None:
                    if await self._hot(hot, match, scope, headers, send):
                        return
                    break
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
    async def _hot(hot: HotRead, match: re.Match[str], scope: Scope, headers: dict[bytes, bytes], send: Send) -> bool:
        """Answer a hot read if it can; False leaves the request to the app."""
        start = time.perf_counter()
        try:
            body = await hot.answer(scope, headers, match)
        except Exception:
            return False
        if body is None:
            return False
        raw = body.encode() if isinstance(body, str) else body
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [  # what the route's Response sends, then what send_wrapper adds
                    (b"content-length", str(len(raw)).encode()),
                    (b"content-type", b"application/json"),
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})
        HTTP_REQUESTS.labels("GET", hot.route, "200").inc()
        HTTP_LATENCY.labels("GET", hot.route).observe(time.perf_counter() - start)
        return True

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


def install_cors(app: Starlette, origins: Sequence[str]) -> None:
    """VCIO_CORS_ORIGINS: let internal frontends on these origins call the API from a browser; none = no CORS.

    Call it after adding PlatformMiddleware: the middleware added last runs first, so CORS wraps every answer,
    the hot reads and the 413s that PlatformMiddleware sends itself included, and answers a preflight OPTIONS
    before anything else sees it. Tokens travel in `Authorization`, never in cookies: no credentials mode."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "traceparent"],
        expose_headers=["Idempotency-Replayed", "Retry-After"],
        max_age=600,
    )
