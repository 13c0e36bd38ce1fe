"""Tenant settings queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.tenants.models import TenantSettings

S: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]

DEFAULTS: dict[str, Any] = {
    "timezone": "UTC",
    "auto_run_enabled": True,
    "auto_run_hour": 6,
    "draft_review": False,
    "renewal_notice_days": 60,
    "last_auto_run_on": None,
}


async def get(session: AsyncSession, tenant_id: str) -> dict[str, Any]:
    row = (await session.execute(sa.select(S).where(S.c.tenant_id == tenant_id))).mappings().first()
    return {"tenant_id": tenant_id, **DEFAULTS, **(dict(row) if row else {})}


async def upsert(session: AsyncSession, tenant_id: str, values: Mapping[str, Any]) -> None:
    stmt = insert(S).values(tenant_id=tenant_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[S.c.tenant_id], set_={**values, "updated_at": sa.func.now()})
    )


async def mark_auto_run(session: AsyncSession, tenant_id: str, day: dt.date) -> None:
    await upsert(session, tenant_id, {"last_auto_run_on": day})
