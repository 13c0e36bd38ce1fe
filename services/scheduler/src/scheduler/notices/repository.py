"""The queries behind the staff mail: who gets it, and the activities it lists."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities.models import OPEN_STATUSES, Activity
from scheduler.plans.models import Agreement
from scheduler.staff.models import StaffMember
from scheduler.tenants.models import TenantSettings

_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]
_agreements: sa.Table = Agreement.__table__  # type: ignore[attr-defined]
_staff: sa.Table = StaffMember.__table__  # type: ignore[attr-defined]
_settings: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]


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
            a.status.in_(OPEN_STATUSES),
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
