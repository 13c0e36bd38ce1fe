"""Every delivery query. Sending claims due rows with FOR UPDATE SKIP LOCKED and a lease (README: why)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.deliveries.models import WebhookDelivery
from integrations.endpoints.repository import endpoints
from vcio_shared.pages import keyset_query

deliveries: sa.Table = WebhookDelivery.__table__  # type: ignore[attr-defined]
d = deliveries.c


DELIVERIES_WRITTEN = "deliveries_written"  # set in `session.info` when a transaction made deliveries due


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert deliveries; one that exists already (the same event for the same endpoint) is left as it is."""
    if not rows:
        return 0
    query = pg.insert(deliveries).values(list(rows)).on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
    session.info[DELIVERIES_WRITTEN] = True
    return int((await session.execute(query)).rowcount)  # type: ignore[attr-defined]


async def requeue(session: AsyncSession, rows: Sequence[dict[str, Any]], now: dt.datetime) -> int:
    """Insert deliveries due now, or make the existing ones (same endpoint and event) pending and due now:
    a retry, a replay or a test sends the same webhook-id again."""
    if not rows:
        return 0
    query = pg.insert(deliveries).values(list(rows))
    query = query.on_conflict_do_update(
        index_elements=["endpoint_id", "event_id"],
        set_={"status": "pending", "tries": 0, "next_attempt_at": now, "lease_until": None, "updated_at": now},
    )
    session.info[DELIVERIES_WRITTEN] = True
    return int((await session.execute(query)).rowcount)  # type: ignore[attr-defined]


async def get(session: AsyncSession, tenant_id: str, delivery_id: uuid.UUID) -> Any:
    query = sa.select(deliveries).where(d.tenant_id == tenant_id, d.id == delivery_id)
    return (await session.execute(query)).mappings().first()


async def page(
    session: AsyncSession,
    tenant_id: str,
    endpoint_id: uuid.UUID,
    status: str | None,
    event_type: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Any]:
    filters = {"endpoint_id": endpoint_id, "status": status, "event_type": event_type}
    query = keyset_query(deliveries, tenant_id, filters, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())


async def claim_due(
    session: AsyncSession, now: dt.datetime, lease: dt.timedelta, limit: int, skip_endpoints: Sequence[Any] = ()
) -> list[Any]:
    """Lease up to `limit` due deliveries of enabled endpoints to this replica: SKIP LOCKED so replicas claiming
    at once take different rows; the lease so a row stays this replica's while it sends outside the transaction,
    and returns to the pool if the replica dies."""
    due = (
        sa.select(d.id)
        .join(endpoints, endpoints.c.id == d.endpoint_id)
        .where(
            d.status == "pending",
            d.next_attempt_at <= now,
            sa.or_(d.lease_until.is_(None), d.lease_until <= now),
            endpoints.c.enabled.is_(True),
            d.endpoint_id.not_in(list(skip_endpoints)) if skip_endpoints else sa.true(),
        )
        .order_by(d.next_attempt_at)
        .limit(limit)
        .with_for_update(of=deliveries, skip_locked=True)
    )
    query = (
        sa.update(deliveries)
        .where(d.id.in_(due.scalar_subquery()))
        .values(lease_until=now + lease)
        .returning(deliveries)
    )
    return list((await session.execute(query)).mappings().all())


async def record_attempt(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    attempt: dict[str, Any],
    status: str,
    next_attempt_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """Append an attempt to the log and set what comes next; the lease ends."""
    query = (
        sa.update(deliveries)
        .where(d.id == delivery_id)
        .values(
            attempts=d.attempts.op("||")(sa.cast(sa.literal(orjson.dumps([attempt]).decode()), pg.JSONB)),
            tries=d.tries + 1,
            status=status,
            next_attempt_at=next_attempt_at,
            lease_until=None,
            updated_at=now,
        )
    )
    await session.execute(query)


_MARK_DELIVERED = sa.text(
    "UPDATE webhook_deliveries AS d SET attempts = d.attempts || v.attempt, tries = d.tries + 1, "
    "status = 'delivered', next_attempt_at = NULL, lease_until = NULL, updated_at = v.at "
    "FROM (SELECT unnest(CAST(:ids AS uuid[])) AS id, CAST(unnest(CAST(:attempts AS text[])) AS jsonb) AS attempt, "
    "unnest(CAST(:ats AS timestamptz[])) AS at) AS v WHERE d.id = v.id"
)


async def mark_delivered(session: AsyncSession, done: Sequence[tuple[uuid.UUID, dict[str, Any], dt.datetime]]) -> None:
    """Append each one's attempt and mark them delivered, in one statement."""
    if not done:
        return
    params = {
        "ids": [row_id for row_id, _, _ in done],
        "attempts": [orjson.dumps([attempt]).decode() for _, attempt, _ in done],
        "ats": [at for _, _, at in done],
    }
    await session.execute(_MARK_DELIVERED, params)
