"""Every staff and capacity query."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities.models import Activity
from scheduler.db import update_one
from scheduler.staff.models import StaffMember

_staff: sa.Table = StaffMember.__table__  # type: ignore[attr-defined]
_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    values = {k: v for k, v in row.items() if k != "now"}
    await session.execute(sa.insert(_staff).values(**values, active=True, created_at=row["now"], updated_at=row["now"]))


async def get(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID, *, for_update: bool = False) -> Any:
    query = sa.select(_staff).where(_staff.c.tenant_id == tenant_id, _staff.c.id == staff_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID, now: dt.datetime, **values: Any) -> None:
    await session.execute(update_one(_staff, tenant_id, staff_id, now, values))


async def list_(
    session: AsyncSession, tenant_id: str, role: str | None, active: bool | None, after: uuid.UUID | None, limit: int
) -> list[Any]:
    s = _staff.c
    query = sa.select(_staff).where(s.tenant_id == tenant_id)
    if role is not None:
        query = query.where(s.roles.any(role))
    if active is not None:
        query = query.where(s.active == active)
    if after is not None:
        query = query.where(s.id > after)
    return list((await session.execute(query.order_by(s.id).limit(limit))).mappings().all())


async def all_staff(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID | None, role: str | None) -> list[Any]:
    s = _staff.c
    query = sa.select(_staff).where(s.tenant_id == tenant_id)
    if staff_id is not None:
        query = query.where(s.id == staff_id)
    if role is not None:
        query = query.where(s.roles.any(role))
    return list((await session.execute(query.order_by(s.name, s.id))).mappings().all())


async def booked(session: AsyncSession, tenant_id: str, period: str, start: dt.date, end: dt.date) -> list[Any]:
    """Booked hours per person per week/month: the planned effort of open work, the hours spent on done work."""
    a = _activities.c
    period_start = sa.cast(sa.func.date_trunc(period, a.due_date), sa.Date).label("period_start")
    hours = sa.case((a.status == "completed", sa.func.coalesce(a.hours_spent, a.effort_hours)), else_=a.effort_hours)
    query = (
        sa.select(a.assignee_id, period_start, sa.func.count().label("n"), sa.func.sum(hours).label("hours"))
        .where(
            a.tenant_id == tenant_id,
            a.assignee_id.is_not(None),
            a.status.in_(("planned", "scheduled", "completed")),
            a.due_date >= start,
            a.due_date < end,
        )
        .group_by(a.assignee_id, period_start)
    )
    return list((await session.execute(query)).all())
