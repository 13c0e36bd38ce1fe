"""Every share-link query."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.shares.models import shares_t


async def revoke_active(
    session: AsyncSession, tenant_id: str, kind: str, target_id: uuid.UUID, now: dt.datetime
) -> int:
    """Revoke the target's live link, if it has one; how many were revoked (0 or 1)."""
    query = (
        sa.update(shares_t)
        .where(
            shares_t.c.tenant_id == tenant_id,
            shares_t.c.kind == kind,
            shares_t.c.target_id == target_id,
            shares_t.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return (await session.execute(query)).rowcount  # type: ignore[attr-defined, no-any-return]


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(sa.insert(shares_t).values(**row))


async def live(session: AsyncSession, token_sha256: str) -> Any:
    """The live (not revoked) link with this token's hash, of any tenant: the token is the key."""
    query = sa.select(shares_t).where(shares_t.c.token_sha256 == token_sha256, shares_t.c.revoked_at.is_(None))
    return (await session.execute(query)).mappings().first()
