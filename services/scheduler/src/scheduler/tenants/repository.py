"""Tenant settings queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


async def get(session: AsyncSession, tenant_id: str) -> Any:
    return (
        (await session.execute(sa.text("SELECT * FROM tenant_settings WHERE tenant_id = :t"), {"t": tenant_id}))
        .mappings()
        .first()
    )


async def upsert(
    session: AsyncSession,
    tenant_id: str,
    country: str | None,
    subdivision: str | None,
    month_end: str,
    now: dt.datetime,
) -> None:
    await session.execute(
        sa.text(
            "INSERT INTO tenant_settings (tenant_id, holiday_country, holiday_subdivision, month_end, updated_at) "
            "VALUES (:t, :c, :s, :m, :now) ON CONFLICT (tenant_id) DO UPDATE SET "
            "holiday_country = EXCLUDED.holiday_country, holiday_subdivision = EXCLUDED.holiday_subdivision, "
            "month_end = EXCLUDED.month_end, updated_at = EXCLUDED.updated_at"
        ),
        {"t": tenant_id, "c": country, "s": subdivision, "m": month_end, "now": now},
    )
