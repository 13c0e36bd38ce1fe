"""Queries on the MSP profile (one row per tenant)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from proposals.msp.models import MspProfile

T = MspProfile.__table__  # type: ignore[attr-defined]


async def get(session: AsyncSession, tenant_id: str) -> Any:
    return (await session.execute(sa.select(T).where(T.c.tenant_id == tenant_id))).first()


async def upsert(session: AsyncSession, tenant_id: str, values: dict[str, Any]) -> Any:
    stmt = insert(T).values(tenant_id=tenant_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[T.c.tenant_id], set_=values)
    return (await session.execute(stmt.returning(T))).one()
