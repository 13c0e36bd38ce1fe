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
_ENDPOINT = "endpoint__"  # the prefix of an endpoint's columns beside its delivery's in a claim
# `SET LOCAL synchronous_commit = off` as a condition that always holds: this transaction commits without waiting
# for the WAL flush (for leases only: one lost in a crash makes its row claimable again)
_ASYNC_COMMIT = sa.func.set_config("synchronous_commit", "off", sa.true()).is_not(None)


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
    newest_first: bool = False,
) -> list[Any]:
    """A keyset page of an endpoint's deliveries in the order they were made (uuid7 ids), or newest first (the
    cursor then meaning "older than")."""
    filters = {"endpoint_id": endpoint_id, "status": status, "event_type": event_type}
    if newest_first:
        query = sa.select(deliveries).where(d.tenant_id == tenant_id)
        for column, value in filters.items():
            if value is not None:
                query = query.where(deliveries.c[column] == value)
        if after is not None:
            query = query.where(d.id < after)
        query = query.order_by(d.id.desc()).limit(limit + 1)
    else:
        query = keyset_query(deliveries, tenant_id, filters, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())


async def claim_due(
    session: AsyncSession, now: dt.datetime, lease: dt.timedelta, limit: int, skip_endpoints: Sequence[Any] = ()
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Lease up to `limit` due deliveries of enabled endpoints to this replica: (delivery, its endpoint) pairs.
    SKIP LOCKED so replicas claiming at once take different rows; the lease so a row stays this replica's while it
    sends outside the transaction, and returns to the pool if the replica dies. One statement (the lease and the
    endpoints' rows in one round trip), committed without waiting for the WAL flush: a lease lost in a crash
    only makes its row claimable again, and its webhook-id may be sent again, as at-least-once allows."""
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
    claimed = (
        sa.update(deliveries)
        .where(d.id.in_(due.scalar_subquery()))
        .values(lease_until=now + lease)
        .returning(deliveries)
        .cte("claimed")
    )
    query = (
        sa.select(claimed, *(c.label(_ENDPOINT + c.name) for c in endpoints.c))
        .join(endpoints, endpoints.c.id == claimed.c.endpoint_id)
        .where(_ASYNC_COMMIT)  # SET LOCAL in the statement: no round trip of its own
    )
    pairs = []
    for row in (await session.execute(query)).mappings():
        delivery = {c.name: row[c.name] for c in claimed.c}
        pairs.append((delivery, {c.name: row[_ENDPOINT + c.name] for c in endpoints.c}))
    return pairs


async def renew_lease(
    session: AsyncSession, delivery_id: uuid.UUID, held: dt.datetime, until: dt.datetime
) -> dt.datetime | None:
    """Extend a claimed row's lease, only if it still holds `held` and is pending: the new lease, or None when
    the row has been taken over (its lease ended and another replica claimed it) or queued again."""
    query = (
        sa.update(deliveries)
        .where(d.id == delivery_id, d.lease_until == held, d.status == "pending")
        .values(lease_until=until)
        .returning(d.lease_until)
    )
    return (await session.execute(query.where(_ASYNC_COMMIT))).scalar_one_or_none()  # as a claim is


async def record_attempt(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    lease: dt.datetime | None,
    attempt: dict[str, Any],
    status: str,
    next_attempt_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """Append an attempt to the log and, while the row still holds the lease it was sent under, set what comes
    next and end the lease. A row queued again meanwhile (a retry, a replay) keeps its new schedule."""
    mine = d.lease_until == lease

    def if_mine(value: Any, otherwise: Any) -> Any:
        return sa.case((mine, value), else_=otherwise)

    query = (
        sa.update(deliveries)
        .where(d.id == delivery_id)
        .values(
            attempts=d.attempts.op("||")(sa.cast(sa.literal(orjson.dumps([attempt]).decode()), pg.JSONB)),
            tries=if_mine(d.tries + 1, d.tries),
            status=if_mine(sa.literal(status), d.status),
            next_attempt_at=if_mine(sa.literal(next_attempt_at, sa.DateTime(timezone=True)), d.next_attempt_at),
            lease_until=if_mine(sa.null(), d.lease_until),
            updated_at=now,
        )
    )
    await session.execute(query)


# The same for many 2xx answers at once: `mine` as in record_attempt.
_MARK_DELIVERED = sa.text(
    "UPDATE webhook_deliveries AS d SET attempts = d.attempts || v.attempt, "
    "tries = CASE WHEN d.lease_until = v.lease THEN d.tries + 1 ELSE d.tries END, "
    "status = CASE WHEN d.lease_until = v.lease THEN 'delivered' ELSE d.status END, "
    "next_attempt_at = CASE WHEN d.lease_until = v.lease THEN NULL ELSE d.next_attempt_at END, "
    "lease_until = CASE WHEN d.lease_until = v.lease THEN NULL ELSE d.lease_until END, updated_at = v.at "
    "FROM (SELECT unnest(CAST(:ids AS uuid[])) AS id, CAST(unnest(CAST(:attempts AS text[])) AS jsonb) AS attempt, "
    "unnest(CAST(:ats AS timestamptz[])) AS at, unnest(CAST(:leases AS timestamptz[])) AS lease) AS v "
    "WHERE d.id = v.id"
)


async def mark_delivered(
    session: AsyncSession, done: Sequence[tuple[uuid.UUID, dt.datetime | None, dict[str, Any], dt.datetime]]
) -> None:
    """(id, lease sent under, attempt, at) of each: append each one's attempt and mark those delivered that still
    hold their lease, in one statement."""
    if not done:
        return
    params = {
        "ids": [row_id for row_id, _, _, _ in done],
        "leases": [lease for _, lease, _, _ in done],
        "attempts": [orjson.dumps([attempt]).decode() for _, _, attempt, _ in done],
        "ats": [at for _, _, _, at in done],
    }
    await session.execute(_MARK_DELIVERED, params)
