"""Delivery report queries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


async def client(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            sa.text(
                "SELECT client_name, timezone FROM agreements WHERE tenant_id = :t AND client_id = :c "
                "ORDER BY created_at DESC LIMIT 1"
            ),
            {"t": tenant_id, "c": client_id},
        )
    ).first()


async def activities_due(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[Any]:
    """A client's activities due in [start, end), with the completion date in the client's own time zone."""
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT a.id, a.name, a.category, a.role, a.status, a.due_date, a.effort_hours, "
                    "a.hours_spent, a.outcome, "
                    "a.deliverable_links, a.skip_reason, "
                    "CAST(a.completed_at AT TIME ZONE ag.timezone AS date) AS completed_on "
                    "FROM activities a JOIN agreements ag ON ag.id = a.agreement_id AND ag.tenant_id = a.tenant_id "
                    "WHERE a.tenant_id = :t AND a.client_id = :c AND a.due_date >= :s AND a.due_date < :e "
                    "ORDER BY a.due_date, a.id"
                ),
                {"t": tenant_id, "c": client_id, "s": start, "e": end},
            )
        )
        .mappings()
        .all()
    )
