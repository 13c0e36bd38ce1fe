"""Every query of planning: agreements, and activities written in bulk (COPY / unnest, never row by row)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from vcio_shared.db import driver_connection

ACTIVITY_COPY_COLUMNS = (
    "id",
    "tenant_id",
    "agreement_id",
    "client_id",
    "template_key",
    "name",
    "category",
    "track",
    "billing_mode",
    "cadence",
    "role",
    "effort_hours",
    "deliverable",
    "occurrence_date",
    "planned_date",
    "due_date",
    "status",
    "assignee_id",
    "created_at",
    "updated_at",
)


async def insert_new_agreements(
    session: AsyncSession, rows: Sequence[dict[str, Any]], now: dt.datetime
) -> set[uuid.UUID]:
    """Insert agreements not seen before, in one statement; returns the ids that were new.

    An id already known (a redelivery, or a replay under another event id) is left alone, so its plan is
    never made twice: the caller plans only what this returns."""
    if not rows:
        return set()
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    result = await session.execute(
        sa.text(
            "INSERT INTO agreements (id, tenant_id, client_id, client_name, client_email, timezone, package_id, "
            "package_version, package_name, status, start_date, term_start, end_date, activities, "
            "created_at, updated_at) "
            "SELECT u.id, u.tenant_id, u.client_id, u.client_name, u.client_email, u.timezone, u.package_id, "
            "u.package_version, u.package_name, 'active', u.start_date, u.start_date, u.end_date, "
            "CAST(u.activities AS jsonb), "
            ":now, :now FROM unnest(CAST(:id AS uuid[]), CAST(:tenant_id AS text[]), CAST(:client_id AS uuid[]), "
            "CAST(:client_name AS text[]), CAST(:client_email AS text[]), CAST(:timezone AS text[]), "
            "CAST(:package_id AS uuid[]), CAST(:package_version AS int[]), CAST(:package_name AS text[]), "
            "CAST(:start_date AS date[]), CAST(:end_date AS date[]), CAST(:activities AS text[])) "
            "AS u(id, tenant_id, client_id, client_name, client_email, timezone, package_id, package_version, "
            "package_name, start_date, end_date, activities) "
            "ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        {**cols, "activities": [orjson.dumps(a).decode() for a in cols["activities"]], "now": now},
    )
    return {r[0] for r in result}


async def copy_activities(session: AsyncSession, records: list[tuple[Any, ...]]) -> int:
    """COPY brand-new activity rows (their agreement was inserted in this transaction, so none can exist)."""
    if not records:
        return 0
    conn = await driver_connection(session)
    await conn.copy_records_to_table("activities", records=records, columns=ACTIVITY_COPY_COLUMNS)
    return len(records)


async def insert_activities(session: AsyncSession, records: list[tuple[Any, ...]]) -> int:
    """Insert activity rows that may already exist (re-plan, renewal): the unique key keeps the first."""
    if not records:
        return 0
    cols = list(zip(*records, strict=True))
    result = await session.execute(
        sa.text(
            "INSERT INTO activities (" + ", ".join(ACTIVITY_COPY_COLUMNS) + ") "
            "SELECT * FROM unnest(CAST(:c0 AS uuid[]), CAST(:c1 AS text[]), CAST(:c2 AS uuid[]), CAST(:c3 AS uuid[]), "
            "CAST(:c4 AS text[]), CAST(:c5 AS text[]), CAST(:c6 AS text[]), CAST(:c7 AS text[]), CAST(:c8 AS text[]), "
            "CAST(:c9 AS text[]), CAST(:c10 AS text[]), CAST(:c11 AS numeric[]), CAST(:c12 AS text[]), "
            "CAST(:c13 AS date[]), CAST(:c14 AS date[]), CAST(:c15 AS date[]), CAST(:c16 AS text[]), "
            "CAST(:c17 AS uuid[]), CAST(:c18 AS timestamptz[]), CAST(:c19 AS timestamptz[])) "
            "ON CONFLICT (agreement_id, template_key, occurrence_date) DO NOTHING"
        ),
        {f"c{i}": list(c) for i, c in enumerate(cols)},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def tenant_holiday_calendars(
    session: AsyncSession, tenant_ids: Sequence[str]
) -> dict[str, tuple[str, str | None]]:
    rows = await session.execute(
        sa.text(
            "SELECT tenant_id, holiday_country, holiday_subdivision FROM tenant_settings "
            "WHERE tenant_id = ANY(:t) AND holiday_country IS NOT NULL"
        ),
        {"t": list(tenant_ids)},
    )
    return {r.tenant_id: (r.holiday_country, r.holiday_subdivision) for r in rows}


async def tenants_with_month_end_last_day(session: AsyncSession, tenant_ids: Sequence[str]) -> set[str]:
    rows = await session.execute(
        sa.text("SELECT tenant_id FROM tenant_settings WHERE tenant_id = ANY(:t) AND month_end = 'last_day'"),
        {"t": list(tenant_ids)},
    )
    return {r.tenant_id for r in rows}


async def get_agreement(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, *, for_update: bool = False
) -> Any:
    sql = "SELECT * FROM agreements WHERE tenant_id = :t AND id = :id"
    if for_update:
        sql += " FOR UPDATE"
    return (await session.execute(sa.text(sql), {"t": tenant_id, "id": agreement_id})).mappings().first()


async def update_agreement(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, now: dt.datetime, **values: Any
) -> None:
    if "activities" in values:
        values["activities"] = orjson.dumps(values["activities"]).decode()
    sets = ", ".join(f"{k} = CAST(:{k} AS jsonb)" if k == "activities" else f"{k} = :{k}" for k in values)
    await session.execute(
        sa.text(f"UPDATE agreements SET {sets}, updated_at = :now WHERE tenant_id = :t AND id = :id"),
        {**values, "now": now, "t": tenant_id, "id": agreement_id},
    )


async def cancel_open_activities(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, from_date: dt.date, reason: str, now: dt.datetime
) -> int:
    result = await session.execute(
        sa.text(
            "UPDATE activities SET status = 'cancelled', cancel_reason = :r, updated_at = :now "
            "WHERE tenant_id = :t AND agreement_id = :a AND status IN ('planned','scheduled') AND due_date >= :d"
        ),
        {"r": reason, "now": now, "t": tenant_id, "a": agreement_id, "d": from_date},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def future_activities(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, from_date: dt.date
) -> list[Any]:
    """Activities of an agreement due (or originally occurring) on or after a date, locked for a re-plan."""
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT id, template_key, occurrence_date, status, cancel_reason FROM activities "
                    "WHERE tenant_id = :t AND agreement_id = :a AND (due_date >= :d OR "
                    "occurrence_date >= :d) FOR UPDATE"
                ),
                {"t": tenant_id, "a": agreement_id, "d": from_date},
            )
        ).all()
    )


async def set_status(
    session: AsyncSession,
    tenant_id: str,
    ids: list[uuid.UUID],
    status: str,
    cancel_reason: str | None,
    now: dt.datetime,
) -> int:
    if not ids:
        return 0
    result = await session.execute(
        sa.text(
            "UPDATE activities SET status = :s, cancel_reason = :r, updated_at = :now WHERE "
            "tenant_id = :t AND id = ANY(:ids)"
        ),
        {"s": status, "r": cancel_reason, "now": now, "t": tenant_id, "ids": ids},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def refresh_templates(
    session: AsyncSession,
    tenant_id: str,
    agreement_id: uuid.UUID,
    from_date: dt.date,
    templates: list[dict[str, Any]],
    now: dt.datetime,
) -> int:
    """Carry a new package version's details (name, role, effort...) onto the open activities it keeps."""
    if not templates:
        return 0
    cols = {
        k: [t[k] for t in templates]
        for k in ("key", "name", "category", "track", "billing_mode", "role", "effort_hours", "deliverable")
    }
    result = await session.execute(
        sa.text(
            "UPDATE activities a SET name = u.name, category = u.category, track = u.track, "
            "billing_mode = u.billing_mode, "
            "role = u.role, effort_hours = u.effort_hours, deliverable = u.deliverable, updated_at = :now "
            "FROM unnest(CAST(:key AS text[]), CAST(:name AS text[]), CAST(:category AS text[]), "
            "CAST(:track AS text[]), "
            "CAST(:billing_mode AS text[]), CAST(:role AS text[]), CAST(:effort_hours AS numeric[]), "
            "CAST(:deliverable AS text[])) AS u(key, name, category, track, billing_mode, role, "
            "effort_hours, deliverable) "
            "WHERE a.tenant_id = :t AND a.agreement_id = :a AND a.template_key = u.key "
            "AND a.status IN ('planned','scheduled') AND a.due_date >= :d "
            "AND (a.name, a.category, a.track, a.billing_mode, a.role, a.effort_hours, a.deliverable) IS DISTINCT FROM "
            "(u.name, u.category, u.track, u.billing_mode, u.role, u.effort_hours, u.deliverable)"
        ),
        {**cols, "now": now, "t": tenant_id, "a": agreement_id, "d": from_date},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def plan_summary(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        sa.text(
            "SELECT status, count(*) AS n FROM activities WHERE tenant_id = :t AND agreement_id = :a GROUP BY status"
        ),
        {"t": tenant_id, "a": agreement_id},
    )
    return {r.status: int(r.n) for r in rows}


async def booked_hours_by_week(
    session: AsyncSession, tenant_ids: Sequence[str], start: dt.date, end: dt.date
) -> list[tuple[uuid.UUID, dt.date, Decimal]]:
    """Hours already on each person's plate per ISO week (Monday), for load-balanced assignment."""
    rows = await session.execute(
        sa.text(
            "SELECT assignee_id, CAST(date_trunc('week', due_date) AS date) AS week, sum(effort_hours) AS hours "
            "FROM activities WHERE tenant_id = ANY(:t) AND assignee_id IS NOT NULL "
            "AND status IN ('planned','scheduled') AND due_date >= :s AND due_date < :e GROUP BY 1, 2"
        ),
        {"t": list(tenant_ids), "s": start, "e": end},
    )
    return [(r.assignee_id, r.week, r.hours) for r in rows]


async def active_staff(session: AsyncSession, tenant_ids: Sequence[str]) -> list[Any]:
    return list(
        (
            await session.execute(
                sa.text(
                    "SELECT id, tenant_id, roles, weekly_capacity_hours FROM staff_members "
                    "WHERE tenant_id = ANY(:t) AND active ORDER BY id"
                ),
                {"t": list(tenant_ids)},
            )
        ).all()
    )
