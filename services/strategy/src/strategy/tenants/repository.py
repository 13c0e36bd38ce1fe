"""Every tenant settings query."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.tenants.models import settings_t


async def get(session: AsyncSession, tenant_id: str) -> Any:
    query = sa.select(settings_t).where(settings_t.c.tenant_id == tenant_id)
    return (await session.execute(query)).mappings().first()


async def put(session: AsyncSession, values: dict[str, Any]) -> Any:
    query = insert(settings_t).values(**values)
    upsert = query.on_conflict_do_update(
        index_elements=[settings_t.c.tenant_id],
        set_={k: query.excluded[k] for k in values if k != "tenant_id"},
    )
    return (await session.execute(upsert.returning(settings_t))).mappings().one()
