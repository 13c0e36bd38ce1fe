"""No NUL characters in query strings: PostgreSQL cannot store or compare U+0000 in text, so such input is a
422 instead of a 5xx. Request bodies refuse NUL through vcio_shared.schemas.RequestModel."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send


class RefuseNulInQuery:
    """A query string with an encoded NUL is answered 422 before any route (PostgreSQL cannot compare with it).

    Covers the platform routes from vcio_shared too (e.g. `/v1/audit?entity_id=`), which do not check it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%00" in scope.get("query_string", b""):
            body = orjson.dumps(
                {
                    "type": "https://vcio.dev/problems/validation-error",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "query: must not contain NUL characters",
                    "errors": [{"loc": ["query"], "msg": "must not contain NUL characters"}],
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
