"""Calendar queries: the activities behind a feed, and subscription tokens.

The feed is a hot read (calendar apps poll it), so its statements are built once, with bind parameters: each
request only binds values, and SQLAlchemy's compiled cache serves the SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities.models import Activity
from scheduler.calendars.models import CalendarSubscription
from scheduler.plans.models import Agreement
from scheduler.staff.models import StaffMember
from vcio_shared.pages import keyset_query

_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]
_agreements: sa.Table = Agreement.__table__  # type: ignore[attr-defined]
_staff: sa.Table = StaffMember.__table__  # type: ignore[attr-defined]
_subscriptions: sa.Table = CalendarSubscription.__table__  # type: ignore[attr-defined]

_a, _ag, _s = _activities.c, _agreements.c, _staff.c
_FEED = (
    sa.select(
        *(_a[name] for name in ("id", "name", "category", "role", "deliverable", "due_date", "scheduled_time")),
        *(_a[name] for name in ("status", "effort_hours", "outcome", "updated_at", "created_at")),
        _ag.timezone,
        _ag.client_name,
        _s.name.label("assignee_name"),
    )
    .select_from(
        _activities.join(_agreements, sa.and_(_ag.id == _a.agreement_id, _ag.tenant_id == _a.tenant_id)).outerjoin(
            _staff, sa.and_(_s.id == _a.assignee_id, _s.tenant_id == _a.tenant_id)
        )
    )
    .where(_a.tenant_id == sa.bindparam("tenant_id"), _a.due_date >= sa.bindparam("since"))
    .order_by(_a.due_date, _a.id)
    .limit(sa.bindparam("limit"))
)
_CLIENT_FEED = _FEED.where(_a.client_id == sa.bindparam("subject_id"))
_STAFF_FEED = _FEED.where(_a.assignee_id == sa.bindparam("subject_id"))
_CLIENT = (
    sa.select(_ag.client_name, _ag.timezone)
    .where(_ag.tenant_id == sa.bindparam("tenant_id"), _ag.client_id == sa.bindparam("client_id"))
    .order_by(_ag.created_at.desc())
    .limit(1)
)


async def client_name(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> tuple[str, str] | None:
    row = (await session.execute(_CLIENT, {"tenant_id": tenant_id, "client_id": client_id})).first()
    return (row.client_name, row.timezone) if row else None


async def client_feed(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, since: dt.date, limit: int
) -> list[Any]:
    return await _feed(session, _CLIENT_FEED, tenant_id, client_id, since, limit)


async def staff_feed(
    session: AsyncSession, tenant_id: str, staff_id: uuid.UUID, since: dt.date, limit: int
) -> list[Any]:
    return await _feed(session, _STAFF_FEED, tenant_id, staff_id, since, limit)


async def _feed(
    session: AsyncSession, query: sa.Select[Any], tenant_id: str, subject_id: uuid.UUID, since: dt.date, limit: int
) -> list[Any]:
    """A feed's rows from `since`, in due-date order: the activities of one client or one staff member."""
    params = {"tenant_id": tenant_id, "subject_id": subject_id, "since": since, "limit": limit}
    return list((await session.execute(query, params)).mappings().all())


async def staff_name(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID) -> str | None:
    return await session.scalar(sa.select(_s.name).where(_s.tenant_id == tenant_id, _s.id == staff_id))


async def insert_subscription(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(sa.insert(_subscriptions).values(**row))


async def subscription_by_token(session: AsyncSession, token_sha256: str) -> Any:
    """The one lookup not filtered by tenant: the token itself names the tenant (it is the credential)."""
    c = _subscriptions.c
    query = sa.select(_subscriptions).where(c.token_sha256 == token_sha256, c.revoked_at.is_(None))
    return (await session.execute(query)).mappings().first()


async def get_subscription(session: AsyncSession, tenant_id: str, sub_id: uuid.UUID) -> Any:
    c = _subscriptions.c
    query = sa.select(_subscriptions).where(c.tenant_id == tenant_id, c.id == sub_id)
    return (await session.execute(query)).mappings().first()


async def list_subscriptions(session: AsyncSession, tenant_id: str, after: uuid.UUID | None, limit: int) -> list[Any]:
    """One page of the tenant's subscriptions in id order, `limit + 1` rows (see `keyset_query`)."""
    query = keyset_query(_subscriptions, tenant_id, {}, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())


async def revoke(session: AsyncSession, tenant_id: str, sub_id: uuid.UUID, now: dt.datetime) -> None:
    c = _subscriptions.c
    await session.execute(
        sa.update(_subscriptions)
        .where(c.tenant_id == tenant_id, c.id == sub_id, c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
