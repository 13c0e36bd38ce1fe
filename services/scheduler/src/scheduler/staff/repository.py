"""Every staff and capacity query."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(
        sa.text(
            "INSERT INTO staff_members (id, tenant_id, name, email, roles, weekly_capacity_hours, active, created_at, "
            "updated_at) VALUES (:id, :tenant_id, :name, :email, :roles, :weekly_capacity_hours, true, :now, :now)"
        ),
        row,
    )


async def get(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID, *, for_update: bool = False) -> Any:
    sql = "SELECT * FROM staff_members WHERE tenant_id = :t AND id = :id" + (" FOR UPDATE" if for_update else "")
    return (await session.execute(sa.text(sql), {"t": tenant_id, "id": staff_id})).mappings().first()


async def update(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID, now: dt.datetime, **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    await session.execute(
        sa.text(f"UPDATE staff_members SET {sets}, updated_at = :now WHERE tenant_id = :t AND id = :id"),
        {**values, "now": now, "t": tenant_id, "id": staff_id},
    )


async def list_(
    session: AsyncSession, tenant_id: str, role: str | None, active: bool | None, after: uuid.UUID | None, limit: int
) -> list[Any]:
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT * FROM staff_members WHERE tenant_id = :t AND (CAST(:role AS text) IS "
                    "NULL OR :role = ANY(roles)) "
                    "AND (CAST(:active AS boolean) IS NULL OR active = :active) "
                    "AND (CAST(:after AS uuid) IS NULL OR id > :after) ORDER BY id LIMIT :n"
                ),
                {"t": tenant_id, "role": role, "active": active, "after": after, "n": limit},
            )
        )
        .mappings()
        .all()
    )


async def all_staff(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID | None, role: str | None) -> list[Any]:
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT * FROM staff_members WHERE tenant_id = :t AND (CAST(:s AS uuid) IS NULL OR id = :s) "
                    "AND (CAST(:role AS text) IS NULL OR :role = ANY(roles)) ORDER BY name, id"
                ),
                {"t": tenant_id, "s": staff_id, "role": role},
            )
        )
        .mappings()
        .all()
    )


async def booked(session: AsyncSession, tenant_id: str, period: str, start: dt.date, end: dt.date) -> list[Any]:
    """Booked hours per person per week/month: the planned effort of open work, the hours spent on done work."""
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT assignee_id, CAST(date_trunc(:p, due_date) AS date) AS period_start, count(*) AS n, "
                    "sum(CASE WHEN status = 'completed' THEN coalesce(hours_spent, effort_hours) "
                    "ELSE effort_hours END) AS hours "
                    "FROM activities WHERE tenant_id = :t AND assignee_id IS NOT NULL "
                    "AND status IN ('planned','scheduled','completed') AND due_date >= :s AND "
                    "due_date < :e GROUP BY 1, 2"
                ),
                {"p": period, "t": tenant_id, "s": start, "e": end},
            )
        ).all()
    )
