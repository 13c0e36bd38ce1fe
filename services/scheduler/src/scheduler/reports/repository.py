"""Delivery report queries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities.models import Activity
from scheduler.plans.models import Agreement

_agreements: sa.Table = Agreement.__table__  # type: ignore[attr-defined]
_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]


async def client(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> Any:
    ag = _agreements.c
    query = (
        sa.select(ag.client_name, ag.timezone)
        .where(ag.tenant_id == tenant_id, ag.client_id == client_id)
        .order_by(ag.created_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).first()


async def activities_due(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[Any]:
    """A client's activities due in [start, end), with the completion date in the client's own time zone."""
    a, ag = _activities.c, _agreements.c
    completed_on = sa.cast(sa.func.timezone(ag.timezone, a.completed_at), sa.Date).label("completed_on")
    query = (
        sa.select(
            a.id,
            a.name,
            a.category,
            a.role,
            a.status,
            a.due_date,
            a.effort_hours,
            a.hours_spent,
            a.outcome,
            a.deliverable_links,
            a.skip_reason,
            completed_on,
        )
        .select_from(_activities.join(_agreements, sa.and_(ag.id == a.agreement_id, ag.tenant_id == a.tenant_id)))
        .where(a.tenant_id == tenant_id, a.client_id == client_id, a.due_date >= start, a.due_date < end)
        .order_by(a.due_date, a.id)
    )
    return list((await session.execute(query)).mappings().all())
