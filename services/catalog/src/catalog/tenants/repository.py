"""Tenant settings queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.tenants.models import settings_t


async def get(session: AsyncSession, tenant_id: str) -> Any:
    query = sa.select(settings_t).where(settings_t.c.tenant_id == tenant_id)
    return (await session.execute(query)).mappings().first()


async def upsert(
    session: AsyncSession, tenant_id: str, hourly_rates: dict[str, dict[str, str]], now: dt.datetime
) -> None:
    """Insert or replace the tenant's settings."""
    row = {"hourly_rates": hourly_rates, "updated_at": now}
    insert = pg.insert(settings_t).values(tenant_id=tenant_id, **row)
    await session.execute(
        insert.on_conflict_do_update(index_elements=["tenant_id"], set_={c: insert.excluded[c] for c in row})
    )
