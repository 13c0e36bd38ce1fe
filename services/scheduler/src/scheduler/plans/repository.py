"""Every query of planning: agreements, and activities written in bulk (COPY / unnest, never row by row)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities.models import Activity
from scheduler.db import update_one
from scheduler.plans.models import Agreement
from scheduler.staff.models import StaffMember
from scheduler.tenants.models import TenantSettings
from vcio_shared.db import driver_connection

_agreements: sa.Table = Agreement.__table__  # type: ignore[attr-defined]
_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]
_staff: sa.Table = StaffMember.__table__  # type: ignore[attr-defined]
_settings: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]
OPEN = ("planned", "scheduled")


def _any_text(values: Sequence[str]) -> Any:
    """`= ANY(:array)`: one parameter however many values (an IN list would bind one each)."""
    return sa.any_(sa.bindparam("tenant_ids", list(values), type_=pg.ARRAY(sa.Text)))


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


_AGREEMENT_INPUT = (
    "id",
    "tenant_id",
    "client_id",
    "client_name",
    "client_email",
    "timezone",
    "package_id",
    "package_version",
    "package_name",
    "start_date",
    "end_date",
    "activities",
)


def _unnest(table: sa.Table, columns: Sequence[str], types: dict[str, Any]) -> Any:
    """`unnest(CAST(:c AS type[]), ...) AS u(c, ...)`: one array parameter per column, one row per index, so a
    bulk write is one statement whatever its size. Types come from the table, or `types` where given. The
    parameters are named `u_<column>` (an UPDATE reserves the column names): see `_arrays`."""
    arrays = [sa.cast(sa.bindparam(f"u_{c}"), pg.ARRAY(types.get(c, table.c[c].type))) for c in columns]
    return sa.func.unnest(*arrays).table_valued(*columns).render_derived(name="u")


def _arrays(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {f"u_{c}": v for c, v in columns.items()}


async def insert_new_agreements(
    session: AsyncSession, rows: Sequence[dict[str, Any]], now: dt.datetime
) -> set[uuid.UUID]:
    """Insert agreements not seen before, in one statement; returns the ids that were new.

    An id already known (a redelivery, or a replay under another event id) is left alone, so its plan is
    never made twice: the caller plans only what this returns."""
    if not rows:
        return set()
    u = _unnest(_agreements, _AGREEMENT_INPUT, {"activities": sa.Text()})
    at = sa.bindparam("now", type_=sa.DateTime(timezone=True))
    select = sa.select(
        *(u.c[c] for c in _AGREEMENT_INPUT[:9]),
        sa.literal("active"),
        u.c.start_date,
        u.c.start_date,
        u.c.end_date,
        sa.cast(u.c.activities, pg.JSONB),
        at,
        at,
    )
    target = [*_AGREEMENT_INPUT[:9], "status", "start_date", "term_start", "end_date", "activities"]
    statement = (
        pg.insert(_agreements)
        .from_select([*target, "created_at", "updated_at"], select)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(_agreements.c.id)
    )
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    cols["activities"] = [orjson.dumps(a).decode() for a in cols["activities"]]
    result = await session.execute(statement, {**_arrays(cols), "now": now})
    return {r[0] for r in result}


async def copy_activities(session: AsyncSession, records: list[tuple[Any, ...]]) -> int:
    """COPY brand-new activity rows (their agreement was inserted in this transaction, so none can exist)."""
    if not records:
        return 0
    conn = await driver_connection(session)
    await conn.copy_records_to_table(_activities.name, records=records, columns=ACTIVITY_COPY_COLUMNS)
    return len(records)


async def insert_activities(session: AsyncSession, records: list[tuple[Any, ...]]) -> int:
    """Insert activity rows that may already exist (re-plan, renewal): the unique key keeps the first."""
    if not records:
        return 0
    u = _unnest(_activities, ACTIVITY_COPY_COLUMNS, {"effort_hours": sa.Numeric()})
    statement = (
        pg.insert(_activities)
        .from_select(list(ACTIVITY_COPY_COLUMNS), sa.select(*u.c))
        .on_conflict_do_nothing(index_elements=["agreement_id", "template_key", "occurrence_date"])
    )
    columns = dict(zip(ACTIVITY_COPY_COLUMNS, map(list, zip(*records, strict=True)), strict=True))
    result = await session.execute(statement, _arrays(columns))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def tenant_holiday_calendars(
    session: AsyncSession, tenant_ids: Sequence[str]
) -> dict[str, tuple[str, str | None]]:
    rows = await session.execute(
        sa.select(_settings.c.tenant_id, _settings.c.holiday_country, _settings.c.holiday_subdivision).where(
            _settings.c.tenant_id == _any_text(tenant_ids), _settings.c.holiday_country.is_not(None)
        )
    )
    return {r.tenant_id: (r.holiday_country, r.holiday_subdivision) for r in rows}


async def tenants_with_month_end_last_day(session: AsyncSession, tenant_ids: Sequence[str]) -> set[str]:
    rows = await session.execute(
        sa.select(_settings.c.tenant_id).where(
            _settings.c.tenant_id == _any_text(tenant_ids), _settings.c.month_end == "last_day"
        )
    )
    return {r.tenant_id for r in rows}


async def get_agreement(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, *, for_update: bool = False
) -> Any:
    query = sa.select(_agreements).where(_agreements.c.tenant_id == tenant_id, _agreements.c.id == agreement_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update_agreement(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, now: dt.datetime, **values: Any
) -> None:
    await session.execute(update_one(_agreements, tenant_id, agreement_id, now, values))


async def cancel_open_activities(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, from_date: dt.date, reason: str, now: dt.datetime
) -> int:
    a = _activities.c
    result = await session.execute(
        sa.update(_activities)
        .where(
            a.tenant_id == tenant_id,
            a.agreement_id == agreement_id,
            a.status.in_(OPEN),
            a.due_date >= from_date,
        )
        .values(status="cancelled", cancel_reason=reason, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def future_activities(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, from_date: dt.date
) -> list[Any]:
    """Activities of an agreement due (or originally occurring) on or after a date, locked for a re-plan."""
    a = _activities.c
    query = (
        sa.select(a.id, a.template_key, a.occurrence_date, a.status, a.cancel_reason)
        .where(
            a.tenant_id == tenant_id,
            a.agreement_id == agreement_id,
            sa.or_(a.due_date >= from_date, a.occurrence_date >= from_date),
        )
        .with_for_update()
    )
    return list((await session.execute(query)).all())


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
    any_ids = sa.bindparam("ids", ids, type_=pg.ARRAY(sa.Uuid))
    result = await session.execute(
        sa.update(_activities)
        .where(_activities.c.tenant_id == tenant_id, _activities.c.id == sa.any_(any_ids))
        .values(status=status, cancel_reason=cancel_reason, updated_at=now)
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
    details = ("name", "category", "track", "billing_mode", "role", "effort_hours", "deliverable")
    u = _unnest(_activities, ("template_key", *details), {"effort_hours": sa.Numeric()})
    a = _activities.c
    statement = (
        sa.update(_activities)
        .where(
            a.tenant_id == tenant_id,
            a.agreement_id == agreement_id,
            a.template_key == u.c.template_key,
            a.status.in_(OPEN),
            a.due_date >= from_date,
            sa.tuple_(*(a[c] for c in details)).is_distinct_from(sa.tuple_(*(u.c[c] for c in details))),
        )
        .values({**{c: u.c[c] for c in details}, "updated_at": now})
    )
    params = {c: [t[c] for t in templates] for c in details}
    result = await session.execute(statement, _arrays({**params, "template_key": [t["key"] for t in templates]}))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def plan_summary(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> dict[str, int]:
    a = _activities.c
    rows = await session.execute(
        sa.select(a.status, sa.func.count().label("n"))
        .where(a.tenant_id == tenant_id, a.agreement_id == agreement_id)
        .group_by(a.status)
    )
    return {r.status: int(r.n) for r in rows}


async def booked_hours_by_week(
    session: AsyncSession, tenant_ids: Sequence[str], start: dt.date, end: dt.date
) -> list[tuple[uuid.UUID, dt.date, Decimal]]:
    """Hours already on each person's plate per ISO week (Monday), for load-balanced assignment."""
    a = _activities.c
    week = sa.cast(sa.func.date_trunc("week", a.due_date), sa.Date).label("week")
    rows = await session.execute(
        sa.select(a.assignee_id, week, sa.func.sum(a.effort_hours).label("hours"))
        .where(
            a.tenant_id == _any_text(tenant_ids),
            a.assignee_id.is_not(None),
            a.status.in_(OPEN),
            a.due_date >= start,
            a.due_date < end,
        )
        .group_by(a.assignee_id, week)
    )
    return [(r.assignee_id, r.week, r.hours) for r in rows]


async def active_staff(session: AsyncSession, tenant_ids: Sequence[str]) -> list[Any]:
    s = _staff.c
    query = (
        sa.select(s.id, s.tenant_id, s.roles, s.weekly_capacity_hours)
        .where(s.tenant_id == _any_text(tenant_ids), s.active)
        .order_by(s.id)
    )
    return list((await session.execute(query)).all())
