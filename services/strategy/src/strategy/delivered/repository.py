"""Every query of the delivered activities."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.delivered.models import delivered_t
from vcio_shared import rows


async def upsert(session: AsyncSession, row: dict[str, Any]) -> None:
    """The latest completion of an activity wins (a redelivered event writes the same row again)."""
    await session.execute(rows.upsert(delivered_t, row))


async def between(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, start: dt.datetime, end: dt.datetime
) -> list[Any]:
    """The client's activities completed in [start, end), in the order they were completed."""
    query = (
        sa.select(delivered_t)
        .where(
            delivered_t.c.tenant_id == tenant_id,
            delivered_t.c.client_id == client_id,
            delivered_t.c.completed_at >= start,
            delivered_t.c.completed_at < end,
        )
        .order_by(delivered_t.c.completed_at, delivered_t.c.id)
    )
    return list((await session.execute(query)).mappings().all())
