"""Tenant settings queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.tenants.models import TenantSettings

_settings: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]


async def get(session: AsyncSession, tenant_id: str) -> Any:
    query = sa.select(_settings).where(_settings.c.tenant_id == tenant_id)
    return (await session.execute(query)).mappings().first()


async def upsert(
    session: AsyncSession,
    tenant_id: str,
    country: str | None,
    subdivision: str | None,
    month_end: str,
    mail: dict[str, str | None],
    now: dt.datetime,
) -> None:
    """Insert or replace the tenant's settings; `mail` holds `timezone` and `mail_reply_to`."""
    row = {
        "holiday_country": country,
        "holiday_subdivision": subdivision,
        "month_end": month_end,
        **mail,
        "updated_at": now,
    }
    insert = pg.insert(_settings).values(tenant_id=tenant_id, **row)
    await session.execute(
        insert.on_conflict_do_update(index_elements=["tenant_id"], set_={c: insert.excluded[c] for c in row})
    )
