"""The request base of this service: RequestModel (unknown fields → 422), and no NUL characters anywhere.

PostgreSQL cannot store U+0000 in text or JSONB; refusing it here keeps such input a 422 instead of a 5xx.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import field_validator
from starlette.types import ASGIApp, Receive, Scope, Send

from vcio_shared.schemas import RequestModel

NO_NUL = r"^[^\x00]*$"


def _check(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(k)
            _check(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check(v)
    return value


class Body(RequestModel):
    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _check(value)


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
