"""Every activity query. `overdue` is computed against today in the client's time zone."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities.models import Activity, ActivityChange
from scheduler.db import update_one
from scheduler.plans.models import Agreement
from scheduler.staff.models import StaffMember
from scheduler.tenants.models import TenantSettings
from vcio_shared.ids import uuid7

_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]
_agreements: sa.Table = Agreement.__table__  # type: ignore[attr-defined]
_changes: sa.Table = ActivityChange.__table__  # type: ignore[attr-defined]
_staff: sa.Table = StaffMember.__table__  # type: ignore[attr-defined]
_settings: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]
# every column but template_key (an internal key the API never shows)
_SHOWN = [c for c in _activities.columns if c.name != "template_key"]
_JOINED = _activities.join(
    _agreements,
    sa.and_(_agreements.c.id == _activities.c.agreement_id, _agreements.c.tenant_id == _activities.c.tenant_id),
)


def _overdue() -> Any:
    """Open and due before today in the client's time zone (`:now` is the caller's clock)."""
    a = _activities.c
    now = sa.cast(sa.bindparam("now"), sa.DateTime(timezone=True))
    today = sa.cast(sa.func.timezone(_agreements.c.timezone, now), sa.Date)
    return sa.and_(a.status.in_(("planned", "scheduled")), a.due_date < today)


def _shown() -> Any:
    """An activity as the API shows it: its columns, its client's time zone and whether it is overdue."""
    return sa.select(*_SHOWN, _agreements.c.timezone, _overdue().label("overdue")).select_from(_JOINED)


@dataclass
class ActivityFilter:
    agreement_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    status: str | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool | None = None
    assigned: bool | None = None  # False: nobody has it yet (a role without staff when it was planned)


async def get(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, now: dt.datetime, *, for_update: bool = False
) -> Any:
    query = _shown().where(_activities.c.tenant_id == tenant_id, _activities.c.id == activity_id)
    if for_update:
        query = query.with_for_update(of=_activities)
    return (await session.execute(query, {"now": now})).mappings().first()


async def list_(
    session: AsyncSession, tenant_id: str, f: ActivityFilter, after: uuid.UUID | None, limit: int, now: dt.datetime
) -> list[Any]:
    a = _activities.c
    query = _shown().where(a.tenant_id == tenant_id)
    for name in ("agreement_id", "client_id", "assignee_id", "status"):
        value = getattr(f, name)
        if value is not None:
            query = query.where(a[name] == value)
    if f.due_from is not None:
        query = query.where(a.due_date >= f.due_from)
    if f.due_to is not None:
        query = query.where(a.due_date <= f.due_to)
    if f.overdue is True:
        query = query.where(_overdue())
    elif f.overdue is False:
        query = query.where(sa.not_(_overdue()))
    if f.assigned is True:
        query = query.where(a.assignee_id.is_not(None))
    elif f.assigned is False:
        query = query.where(a.assignee_id.is_(None))
    if after is not None:
        query = query.where(a.id > after)
    return list((await session.execute(query.order_by(a.id).limit(limit), {"now": now})).mappings().all())


async def update(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, now: dt.datetime, **values: Any
) -> None:
    await session.execute(update_one(_activities, tenant_id, activity_id, now, values))


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
    row = {"from_date": from_date, "to_date": to_date, "from_time": from_time, "to_time": to_time, "reason": reason}
    await session.execute(
        sa.insert(_changes).values(
            id=uuid7(), tenant_id=tenant_id, activity_id=activity_id, action=action, actor=actor, at=at, **row
        )
    )


async def list_changes(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[Any]:
    c = _changes.c
    query = sa.select(_changes).where(c.tenant_id == tenant_id, c.activity_id == activity_id)
    if after is not None:
        query = query.where(c.id > after)
    return list((await session.execute(query.order_by(c.id).limit(limit))).mappings().all())


async def staff_member_exists(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID) -> bool:
    s = _staff.c
    return bool(
        await session.scalar(sa.select(sa.exists().where(s.tenant_id == tenant_id, s.id == staff_id, s.active)))
    )


async def flag_overdue(session: AsyncSession, now: dt.datetime, limit: int) -> list[Any]:
    """Mark open activities whose due date has passed (client's time zone) and were never flagged; return them
    as the API shows them. Runs for every tenant: it is the sweep, not a request."""
    a = _activities.c
    due = (
        sa.select(a.id)
        .select_from(_JOINED)
        .where(a.overdue_at.is_(None), _overdue())
        .order_by(a.due_date, a.id)
        .limit(limit)
        .with_for_update(of=_activities, skip_locked=True)
        .cte("due")
    )
    flag = sa.update(_activities).where(a.id == due.c.id).values(overdue_at=sa.bindparam("now")).returning(a.id)
    ids = [r[0] for r in await session.execute(flag, {"now": now})]
    if not ids:
        return []
    shown = _shown().where(a.id == sa.any_(sa.bindparam("ids", ids, type_=pg.ARRAY(sa.Uuid)))).order_by(a.id)
    return list((await session.execute(shown, {"now": now})).mappings().all())


# The staff mail (activities/notices.py): who gets it, and the activities it lists.
def _tenant_mail_columns() -> list[Any]:
    """The tenant's time zone ('UTC' until it sets one) and the Reply-To of its staff mail."""
    return [
        sa.func.coalesce(_settings.c.timezone, "UTC").label("tenant_timezone"),
        _settings.c.mail_reply_to,
    ]


def _with_settings(table: sa.Table) -> Any:
    return table.outerjoin(_settings, _settings.c.tenant_id == table.c.tenant_id)


async def staff_with_email(session: AsyncSession) -> list[Any]:
    """Every active staff member with an e-mail address, of every tenant, with the tenant's mail settings."""
    s = _staff.c
    query = (
        sa.select(s.id, s.tenant_id, s.name, s.email, *_tenant_mail_columns())
        .select_from(_with_settings(_staff))
        .where(s.active, s.email.is_not(None))
        .order_by(s.tenant_id, s.id)
    )
    return list((await session.execute(query)).mappings().all())


async def open_activities_of(
    session: AsyncSession, staff_ids: Sequence[uuid.UUID], first: dt.date, last: dt.date
) -> list[Any]:
    """Open activities assigned to these staff members and due in [first, last] (the client's dates), with
    their client's name and time zone, in due order."""
    a = _activities.c
    joined = _activities.join(
        _agreements, sa.and_(_agreements.c.id == a.agreement_id, _agreements.c.tenant_id == a.tenant_id)
    )
    query = (
        sa.select(
            a.id,
            a.tenant_id,
            a.assignee_id,
            a.name,
            a.role,
            a.status,
            a.effort_hours,
            a.due_date,
            a.scheduled_time,
            _agreements.c.client_name,
            _agreements.c.timezone,
        )
        .select_from(joined)
        .where(
            a.assignee_id == sa.any_(sa.bindparam("staff_ids", list(staff_ids), type_=pg.ARRAY(sa.Uuid))),
            a.status.in_(("planned", "scheduled")),
            a.due_date.between(first, last),
        )
        .order_by(a.due_date, a.scheduled_time.nulls_last(), a.name, a.id)
    )
    return list((await session.execute(query)).mappings().all())


async def overdue_recipients(
    session: AsyncSession, tenant_ids: Sequence[str], assignee_ids: Sequence[uuid.UUID]
) -> list[Any]:
    """The active staff members with an e-mail who hear of these tenants' overdue activities: the assignees
    and every vCIO (role `vcio`), with their tenant's mail settings."""
    s = _staff.c
    query = (
        sa.select(s.id, s.tenant_id, s.name, s.email, s.roles, *_tenant_mail_columns())
        .select_from(_with_settings(_staff))
        .where(
            s.tenant_id == sa.any_(sa.bindparam("tenant_ids", list(tenant_ids), type_=pg.ARRAY(sa.Text))),
            s.active,
            s.email.is_not(None),
            sa.or_(
                s.id == sa.any_(sa.bindparam("assignee_ids", list(assignee_ids), type_=pg.ARRAY(sa.Uuid))),
                s.roles.contains(["vcio"]),
            ),
        )
        .order_by(s.tenant_id, s.name, s.id)
    )
    return list((await session.execute(query)).mappings().all())


async def staff_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of these staff members (active or not), by id: an overdue notice names its assignee."""
    s = _staff.c
    query = sa.select(s.id, s.name).where(s.id == sa.any_(sa.bindparam("ids", list(ids), type_=pg.ARRAY(sa.Uuid))))
    return {r.id: r.name for r in await session.execute(query)}


async def client_names(session: AsyncSession, agreement_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The client's name of each of these agreements, by agreement id."""
    g = _agreements.c
    query = sa.select(g.id, g.client_name).where(
        g.id == sa.any_(sa.bindparam("ids", list(agreement_ids), type_=pg.ARRAY(sa.Uuid)))
    )
    return {r.id: r.client_name for r in await session.execute(query)}
