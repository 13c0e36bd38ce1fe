"""Tenant settings queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db
from billing.tenants.models import MspProfile, TenantSettings

S: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]
MP: sa.Table = MspProfile.__table__  # type: ignore[attr-defined]

DEFAULTS: dict[str, Any] = {
    "timezone": "UTC",
    "auto_run_enabled": True,
    "auto_run_hour": 6,
    "draft_review": False,
    "renewal_notice_days": 60,
    "payment_reminder_days": [7, 14],
    "last_auto_run_on": None,
}


async def get(session: AsyncSession, tenant_id: str) -> dict[str, Any]:
    row = await db.first(session, sa.select(S).where(S.c.tenant_id == tenant_id))
    return {"tenant_id": tenant_id, **DEFAULTS, **(dict(row) if row else {})}


async def upsert(session: AsyncSession, tenant_id: str, values: Mapping[str, Any]) -> None:
    stmt = insert(S).values(tenant_id=tenant_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[S.c.tenant_id], set_={**values, "updated_at": sa.func.now()})
    )


async def mark_auto_run(session: AsyncSession, tenant_id: str, day: dt.date) -> None:
    await upsert(session, tenant_id, {"last_auto_run_on": day})


async def upsert_msp_profile(session: AsyncSession, tenant_id: str, values: Mapping[str, Any]) -> bool:
    """Keep the profile with the latest `updated_at`: an older or repeated event changes nothing (False)."""
    stmt = insert(MP).values(tenant_id=tenant_id, **values)
    result = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[MP.c.tenant_id],
            set_={k: stmt.excluded[k] for k in values},
            where=MP.c.updated_at < stmt.excluded.updated_at,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get_msp_profile(session: AsyncSession, tenant_id: str) -> dict[str, Any] | None:
    row = await db.first(session, sa.select(MP).where(MP.c.tenant_id == tenant_id))
    return dict(row) if row else None
