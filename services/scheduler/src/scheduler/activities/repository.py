"""Every activity query. `overdue` is computed against today in the client's time zone."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.ids import uuid7

_COLUMNS = (
    "a.id, a.tenant_id, a.agreement_id, a.client_id, a.name, a.category, a.track, a.billing_mode, a.cadence, a.role, "
    "a.effort_hours, a.deliverable, a.occurrence_date, a.planned_date, a.due_date, a.scheduled_time, a.status, "
    "a.assignee_id, a.completed_at, a.outcome, a.hours_spent, a.deliverable_links, a.skip_reason, a.cancel_reason, "
    "a.overdue_at, a.created_at, a.updated_at, ag.timezone, "
    "(a.status IN ('planned','scheduled') AND a.due_date < CAST(CAST(:now AS timestamptz) AT TIME "
    "ZONE ag.timezone AS date)) "
    "AS overdue"
)
_FROM = " FROM activities a JOIN agreements ag ON ag.id = a.agreement_id AND ag.tenant_id = a.tenant_id "
_OVERDUE = (
    "a.status IN ('planned','scheduled') "
    "AND a.due_date < CAST(CAST(:now AS timestamptz) AT TIME ZONE ag.timezone AS date)"
)


@dataclass
class ActivityFilter:
    agreement_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    status: str | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool | None = None


async def get(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, now: dt.datetime, *, for_update: bool = False
) -> Any:
    sql = f"SELECT {_COLUMNS}{_FROM}WHERE a.tenant_id = :t AND a.id = :id"
    if for_update:
        sql += " FOR UPDATE OF a"
    return (await session.execute(sa.text(sql), {"t": tenant_id, "id": activity_id, "now": now})).mappings().first()


async def list_(
    session: AsyncSession, tenant_id: str, f: ActivityFilter, after: uuid.UUID | None, limit: int, now: dt.datetime
) -> list[Any]:
    where = ["a.tenant_id = :t"]
    params: dict[str, Any] = {"t": tenant_id, "now": now, "n": limit}
    for name in ("agreement_id", "client_id", "assignee_id", "status"):
        value = getattr(f, name)
        if value is not None:
            where.append(f"a.{name} = :{name}")
            params[name] = value
    if f.due_from is not None:
        where.append("a.due_date >= :due_from")
        params["due_from"] = f.due_from
    if f.due_to is not None:
        where.append("a.due_date <= :due_to")
        params["due_to"] = f.due_to
    if f.overdue is True:
        where.append(_OVERDUE)
    elif f.overdue is False:
        where.append(f"NOT ({_OVERDUE})")
    if after is not None:
        where.append("a.id > :after")
        params["after"] = after
    sql = f"SELECT {_COLUMNS}{_FROM}WHERE {' AND '.join(where)} ORDER BY a.id LIMIT :n"
    return list((await session.execute(sa.text(sql), params)).mappings().all())


async def update(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, now: dt.datetime, **values: Any
) -> None:
    if "deliverable_links" in values:
        values["deliverable_links"] = orjson.dumps(values["deliverable_links"]).decode()
    sets = ", ".join(f"{k} = CAST(:{k} AS jsonb)" if k == "deliverable_links" else f"{k} = :{k}" for k in values)
    await session.execute(
        sa.text(f"UPDATE activities SET {sets}, updated_at = :now WHERE tenant_id = :t AND id = :id"),
        {**values, "now": now, "t": tenant_id, "id": activity_id},
    )


async def add_change(
    session: AsyncSession,
    tenant_id: str,
    activity_id: uuid.UUID,
    action: str,
    actor: str,
    at: dt.datetime,
    *,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    from_time: dt.time | None = None,
    to_time: dt.time | None = None,
    reason: str | None = None,
) -> None:
    await session.execute(
        sa.text(
            "INSERT INTO activity_changes (id, tenant_id, activity_id, action, actor, from_date, to_date, from_time, "
            "to_time, reason, at) VALUES (:id, :t, :a, :action, :actor, :fd, :td, :ft, :tt, :r, :at)"
        ),
        {
            "id": uuid7(),
            "t": tenant_id,
            "a": activity_id,
            "action": action,
            "actor": actor,
            "fd": from_date,
            "td": to_date,
            "ft": from_time,
            "tt": to_time,
            "r": reason,
            "at": at,
        },
    )


async def list_changes(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[Any]:
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT * FROM activity_changes WHERE tenant_id = :t AND activity_id = :a "
                    "AND (CAST(:after AS uuid) IS NULL OR id > :after) ORDER BY id LIMIT :n"
                ),
                {"t": tenant_id, "a": activity_id, "after": after, "n": limit},
            )
        )
        .mappings()
        .all()
    )


async def staff_member_exists(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            sa.text("SELECT EXISTS (SELECT 1 FROM staff_members WHERE tenant_id = :t AND id = :id AND active)"),
            {"t": tenant_id, "id": staff_id},
        )
    )


async def flag_overdue(session: AsyncSession, now: dt.datetime, limit: int) -> list[Any]:
    """Mark open activities whose due date has passed (client's time zone) and were never flagged; return them
    as the API shows them. Runs for every tenant: it is the sweep, not a request."""
    rows = await session.execute(
        sa.text(
            "WITH due AS (SELECT a.id FROM activities a JOIN agreements ag ON ag.id = a.agreement_id "
            f"AND ag.tenant_id = a.tenant_id WHERE a.overdue_at IS NULL AND {_OVERDUE} "
            "ORDER BY a.due_date, a.id LIMIT :n FOR UPDATE OF a SKIP LOCKED) "
            "UPDATE activities SET overdue_at = :now FROM due WHERE activities.id = due.id RETURNING activities.id"
        ),
        {"now": now, "n": limit},
    )
    ids = [r[0] for r in rows]
    if not ids:
        return []
    return list(
        (
            await session.execute(
                sa.text(f"SELECT {_COLUMNS}{_FROM}WHERE a.id = ANY(:ids) ORDER BY a.id"), {"ids": ids, "now": now}
            )
        )
        .mappings()
        .all()
    )
