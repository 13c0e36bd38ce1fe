"""`Idempotency-Key` for creating POSTs: the same key and body answer the first answer again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
import sqlalchemy as sa
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.db import SessionDep
from vcio_shared.errors import Conflict, Unprocessable


def canonical_body(body: bytes) -> bytes:
    """The body as the request means it: JSON parsed and written back with sorted keys and no whitespace, so
    reordered keys or other spacing are the same request; a body that is not JSON compares by its bytes."""
    try:  # the standard library keeps integers of any size exact (orjson turns big ones into floats)
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # also an empty body
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()  # ASCII: lone surrogates too


def _hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class Idempotency:
    """Claims the key inside the request's transaction, so a concurrent twin waits and then replays."""

    def __init__(self, session: AsyncSession, key: str | None, method: str, path: str, body: bytes) -> None:
        self.session = session
        self.key = key
        self.method = method
        self.path = path
        self.tenant_id: str | None = None  # the principal's: the route gives it to `replay` (or `once`)
        self.request_hash = _hash(method, path, canonical_body(body))
        # Keys stored before bodies were canonicalised hash the raw bytes: the very same bytes still replay.
        self._raw_hash = _hash(method, path, body)

    async def replay(self, tenant_id: str) -> JSONResponse | None:
        """Call first in the route. Returns the stored answer for a repeated key, or None to go on."""
        self.tenant_id = tenant_id
        if self.key is None:
            return None
        claimed = await self.session.execute(
            sa.text(
                "INSERT INTO idempotency_keys (tenant_id, key, method, path, request_hash) "
                "VALUES (:t, :k, :m, :p, :h) ON CONFLICT DO NOTHING"
            ),
            {"t": tenant_id, "k": self.key, "m": self.method, "p": self.path, "h": self.request_hash},
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            return None
        row = (
            await self.session.execute(
                sa.text(
                    "SELECT request_hash, status_code, response FROM idempotency_keys WHERE tenant_id = :t AND key = :k"
                ),
                {"t": tenant_id, "k": self.key},
            )
        ).one()
        if row.request_hash not in (self.request_hash, self._raw_hash):
            raise Unprocessable.field(["header", "Idempotency-Key"], "this key was used with another request body")
        if row.status_code is None:
            raise Conflict("a request with this Idempotency-Key is still in progress")
        return JSONResponse(row.response, status_code=row.status_code, headers={"Idempotency-Replayed": "true"})

    async def once(self, tenant_id: str, answer: Callable[[], Awaitable[Any]], status_code: int = 201) -> Any:
        """`replay`, or else `answer()` remembered under the key: a retry with the same key and body gets the
        first answer back, and `answer` does not run again."""
        if (replayed := await self.replay(tenant_id)) is not None:
            return replayed
        return await self.remember(status_code, await answer())

    async def remember(self, status_code: int, body: Any) -> Any:
        """Call last in the route with what it answers; stored in the same transaction as the effect."""
        if self.key is not None:
            await self.session.execute(
                sa.text(
                    "UPDATE idempotency_keys SET status_code = :s, response = CAST(:r AS jsonb) "
                    "WHERE tenant_id = :t AND key = :k"
                ),
                {
                    "s": status_code,
                    "r": orjson.dumps(jsonable_encoder(body)).decode(),
                    "t": self.tenant_id,
                    "k": self.key,
                },
            )
        return body


async def _idempotency(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> Idempotency:
    body = await request.body()
    return Idempotency(session, idempotency_key, request.method, request.url.path, body)


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]
