"""Delivered-activity queries; always filtered by tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.deliveries.models import DeliveredActivity

D: sa.Table = DeliveredActivity.__table__  # type: ignore[attr-defined]


async def owner(session: AsyncSession, activity_id: uuid.UUID) -> str | None:
    return await session.scalar(sa.select(D.c.tenant_id).where(D.c.id == activity_id))


async def upsert(session: AsyncSession, values: Mapping[str, Any]) -> None:
    stmt = insert(D).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[D.c.id],
            set_={k: stmt.excluded[k] for k in values if k not in ("id", "tenant_id")},
            where=D.c.tenant_id == values["tenant_id"],
        )
    )


async def for_client(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, start: dt.date, end: dt.date
) -> Sequence[RowMapping]:
    return (
        (
            await session.execute(
                sa.select(D)
                .where(
                    D.c.tenant_id == tenant_id,
                    D.c.client_id == client_id,
                    D.c.completed_on >= start,
                    D.c.completed_on < end,
                )
                .order_by(D.c.completed_on, D.c.id)
            )
        )
        .mappings()
        .all()
    )


async def value_by_mode(session: AsyncSession, tenant_id: str, start: dt.date, end: dt.date) -> Sequence[RowMapping]:
    return (
        (
            await session.execute(
                sa.text(
                    "SELECT billing_mode, count(*) AS activities, COALESCE(sum(CAST(hours_spent AS numeric)), 0) AS "
                    "hours "
                    "FROM delivered_activities WHERE tenant_id = :t AND completed_on >= :s AND completed_on < :e "
                    "GROUP BY billing_mode ORDER BY billing_mode"
                ),
                {"t": tenant_id, "s": start, "e": end},
            )
        )
        .mappings()
        .all()
    )
