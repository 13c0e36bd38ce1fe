"""Every query on proposals; always filtered by tenant (the token lookup is the one door without a tenant)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from proposals.proposals.models import OPEN_STATUSES, Proposal
from vcio_shared import rows
from vcio_shared.mail import MAIL
from vcio_shared.pages import keyset_query

T = Proposal.__table__  # type: ignore[attr-defined]


async def insert(session: AsyncSession, values: dict[str, Any]) -> Any:
    return (await session.execute(sa.insert(T).values(**values).returning(T))).one()


async def get(session: AsyncSession, tenant_id: str, proposal_id: uuid.UUID, *, for_update: bool = False) -> Any:
    return (await session.execute(rows.one(T, tenant_id, proposal_id, for_update=for_update))).first()


async def by_token(session: AsyncSession, token: str, *, for_update: bool = False) -> Any:
    """The client page's lookup: the unguessable token is the credential and names its tenant."""
    query = sa.select(T).where(T.c.token == token)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def update(session: AsyncSession, tenant_id: str, proposal_id: uuid.UUID, values: dict[str, Any]) -> Any:
    return (await session.execute(rows.update_one(T, tenant_id, proposal_id, values))).one()


async def list_page(
    session: AsyncSession,
    tenant_id: str,
    after: uuid.UUID | None,
    limit: int,
    *,
    client_id: uuid.UUID | None,
    status: str | None,
    package_id: uuid.UUID | None,
) -> list[Any]:
    filters = {"client_id": client_id, "status": status, "package_id": package_id}
    return list((await session.execute(keyset_query(T, tenant_id, filters, after=after, limit=limit))).all())


async def expiry_candidates(session: AsyncSession, latest_date: dt.date) -> list[Any]:
    """Open proposals whose valid_until is on or before `latest_date`, locked; others' sweeps skip them."""
    return list(
        (
            await session.execute(
                sa.select(T.c.id, T.c.tenant_id, T.c.client_id, T.c.valid_until, T.c.client_snapshot)
                .where(T.c.status.in_(OPEN_STATUSES), T.c.valid_until <= latest_date)
                .order_by(T.c.valid_until)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


async def reminder_candidates(
    session: AsyncSession, first: dt.date, last: dt.date, cause: tuple[str, str]
) -> list[Any]:
    """Open proposals valid until a day in [first, last] with no mail yet whose cause is `{before}{id}{after}`."""
    before, after = cause
    reminded = sa.exists().where(
        MAIL.c.tenant_id == T.c.tenant_id,
        MAIL.c.cause == sa.literal(before) + sa.cast(T.c.id, sa.Text) + sa.literal(after),
    )
    query = (
        sa.select(T)
        .where(T.c.status.in_(OPEN_STATUSES), T.c.valid_until.between(first, last), ~reminded)
        .order_by(T.c.valid_until, T.c.id)
    )
    return list((await session.execute(query)).all())


async def mark_expired(session: AsyncSession, ids: list[uuid.UUID], now: dt.datetime) -> list[Any]:
    """One statement for the whole batch."""
    if not ids:
        return []
    return list(
        (
            await session.execute(
                sa.update(T)
                .where(T.c.id.in_(ids), T.c.status.in_(OPEN_STATUSES))
                .values(status="expired", expired_at=now, updated_at=now)
                .returning(T.c.id, T.c.tenant_id, T.c.client_id)
            )
        ).all()
    )


async def pipeline(session: AsyncSession, tenant_id: str) -> list[Any]:
    """Figures per currency over the versions still in play (superseded versions and drafts are left out)."""
    return list(
        (
            await session.execute(
                sa.text("""
        SELECT currency,
               count(*) FILTER (WHERE status IN ('sent', 'viewed')) AS open_proposals,
               coalesce(sum(contract_value_minor) FILTER (WHERE status IN ('sent', 'viewed')), 0) AS open_value,
               count(*) FILTER (WHERE status = 'accepted') AS accepted,
               count(*) FILTER (WHERE status = 'declined') AS declined,
               count(*) FILTER (WHERE status = 'expired') AS expired,
               coalesce(sum(contract_value_minor) FILTER (WHERE status = 'accepted'), 0) AS won_value,
               avg(extract(epoch FROM accepted_at - sent_at))
                   FILTER (WHERE status = 'accepted' AND sent_at IS NOT NULL) AS avg_seconds
        FROM proposals
        WHERE tenant_id = :t AND status NOT IN ('draft', 'superseded')
        GROUP BY currency ORDER BY currency
    """),
                {"t": tenant_id},
            )
        ).all()
    )
