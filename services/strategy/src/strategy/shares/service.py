"""Share links: made (a new one replaces the target's live link), revoked, and resolved from a token."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.shares import repository
from vcio_shared import audit
from vcio_shared.auth import Principal
from vcio_shared.errors import NotFound
from vcio_shared.ids import uuid7

PREFIX = "/s"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32): 256 bits


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{PREFIX}/{token}"


async def share(
    session: AsyncSession, principal: Principal, kind: str, target_id: uuid.UUID, base_url: str, now: dt.datetime
) -> dict[str, Any]:
    """A new link to the target; the target's earlier live link stops working (only a hash is kept, so a link
    can be shown once, when made)."""
    await repository.revoke_active(session, principal.tenant_id, kind, target_id, now)
    token = secrets.token_urlsafe(32)
    share_id = uuid7()
    row = {
        "id": share_id,
        "tenant_id": principal.tenant_id,
        "kind": kind,
        "target_id": target_id,
        "token_sha256": _hash(token),
        "created_at": now,
    }
    await repository.insert(session, row)
    await audit.record(session, principal, f"{kind}.shared", kind, target_id, {"share_id": str(share_id)})
    return {"url": url(base_url, token), "kind": kind, "target_id": target_id, "created_at": now}


async def revoke(
    session: AsyncSession, principal: Principal, kind: str, target_id: uuid.UUID, now: dt.datetime
) -> None:
    """Revoke the target's live link: its page and PDF answer 404 from now on; 404 when it has none."""
    if not await repository.revoke_active(session, principal.tenant_id, kind, target_id, now):
        raise NotFound(f"this {kind} has no live share link")
    await audit.record(session, principal, f"{kind}.share_revoked", kind, target_id, {})


async def resolve(session: AsyncSession, token: str) -> Any:
    """The live link a token opens (tenant, kind, target), or 404 (malformed, unknown or revoked alike)."""
    row = await repository.live(session, _hash(token)) if TOKEN.match(token) else None
    if row is None:
        raise NotFound("no such link, or it was revoked")
    return row
