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

from billing import db
from billing.deliveries.models import DeliveredActivity

D: sa.Table = DeliveredActivity.__table__  # type: ignore[attr-defined]

# The day a delivery counts in: its due date, so work done early for an activity due in January is January's
# value, on January's invoice; completed_on stays the day the work was done. Invoices' one-statement read
# (invoices/repository._VIEW) counts by the same day.
COUNTS_ON = sa.func.coalesce(D.c.due_date, D.c.completed_on)


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
    return await db.rows(
        session,
        sa.select(D)
        .where(
            D.c.tenant_id == tenant_id,
            D.c.client_id == client_id,
            COUNTS_ON.between(start, end - dt.timedelta(days=1)),
        )
        .order_by(COUNTS_ON, D.c.completed_on, D.c.id),
    )


async def value_by_mode(session: AsyncSession, tenant_id: str, start: dt.date, end: dt.date) -> Sequence[RowMapping]:
    """Per billing mode, the activities delivered in [start, end) and their hours."""
    hours = sa.func.coalesce(sa.func.sum(sa.cast(D.c.hours_spent, sa.Numeric)), 0)
    stmt = (
        sa.select(D.c.billing_mode, sa.func.count().label("activities"), hours.label("hours"))
        .where(D.c.tenant_id == tenant_id, COUNTS_ON.between(start, end - dt.timedelta(days=1)))
        .group_by(D.c.billing_mode)
        .order_by(D.c.billing_mode)
    )
    return await db.rows(session, stmt)
