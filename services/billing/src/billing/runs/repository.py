"""Every SQL query of billing runs: the due-agreement scan, chunk locks and run records; always by tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db
from billing.runs.models import BillingRun
from vcio_shared import rows
from vcio_shared.db import driver_connection

R: sa.Table = BillingRun.__table__  # type: ignore[attr-defined]


async def count_due(session: AsyncSession, tenant_id: str, as_of: dt.date) -> int:
    return int(
        await session.scalar(
            sa.text("SELECT count(*) FROM agreements WHERE tenant_id = :t AND next_bill_date <= :d"),
            {"t": tenant_id, "d": as_of},
        )
        or 0
    )


async def due_ids(
    session: AsyncSession, tenant_id: str, as_of: dt.date, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """The next chunk of due agreements, in id order (keyset: no OFFSET, no lock)."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "SELECT id FROM agreements WHERE tenant_id = $1 AND next_bill_date <= $2 "
        "AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4",
        tenant_id,
        as_of,
        after,
        limit,
    )
    return [r[0] for r in rows]


async def lock_chunk(
    session: AsyncSession, tenant_id: str, ids: Sequence[uuid.UUID], as_of: dt.date
) -> list[asyncpg.Record]:
    """Lock the chunk's agreements (a concurrent run waits here, then sees what this one billed) and read
    what billing needs of them and their clients. Straight from asyncpg (the rows are read by name, as from a
    mapping); JSON columns come as text, for orjson (much faster)."""
    conn = await driver_connection(session)
    return await conn.fetch(
        "SELECT a.id, a.client_id, a.package_name, a.billing_cycle, a.start_date, a.end_date, a.currency, "
        "CAST(a.price_schedule AS text) AS price_schedule, CAST(a.one_time_lines AS text) AS one_time_lines, "
        "a.next_bill_date, a.cancel_effective_date, "
        "COALESCE(c.tax_rate, '0') AS tax_rate, COALESCE(c.payment_terms_days, 30) AS payment_terms_days "
        "FROM agreements a LEFT JOIN clients c ON c.id = a.client_id AND c.tenant_id = a.tenant_id "
        "WHERE a.tenant_id = $1 AND a.id = ANY($2::uuid[]) AND a.next_bill_date <= $3 "
        "ORDER BY a.id FOR UPDATE OF a",
        tenant_id,
        list(ids),
        as_of,
    )


async def set_next_bill_dates(
    session: AsyncSession, tenant_id: str, pairs: Sequence[tuple[uuid.UUID, dt.date | None]], now: dt.datetime
) -> None:
    if pairs:
        await session.execute(
            sa.text(
                "UPDATE agreements a SET next_bill_date = u.d, updated_at = :now "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:ds AS date[])) AS u(id, d) "
                "WHERE a.id = u.id AND a.tenant_id = :t"
            ),
            {"ids": [p[0] for p in pairs], "ds": [p[1] for p in pairs], "t": tenant_id, "now": now},
        )


async def insert_run(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(sa.insert(R).values(**values))


async def progress(
    session: AsyncSession,
    tenant_id: str,
    run_id: uuid.UUID,
    *,
    processed: int,
    created: int,
    totals: dict[str, int],
    errors: list[dict[str, Any]],
    now: dt.datetime,
) -> None:
    await session.execute(
        sa.text(
            "UPDATE billing_runs SET agreements_processed = agreements_processed + :p, "
            "invoices_created = invoices_created + :c, totals = CAST(:tot AS jsonb), errors = CAST(:err AS jsonb), "
            "heartbeat_at = :now WHERE tenant_id = :t AND id = :id"
        ),
        {
            "p": processed,
            "c": created,
            "tot": orjson.dumps(totals).decode(),
            "err": orjson.dumps(errors).decode(),
            "now": now,
            "t": tenant_id,
            "id": run_id,
        },
    )


async def update_run(session: AsyncSession, tenant_id: str, run_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(rows.update_one(R, tenant_id, run_id, dict(values)))


async def get_run(session: AsyncSession, tenant_id: str, run_id: uuid.UUID) -> RowMapping | None:
    return await db.first(session, rows.one(R, tenant_id, run_id))


async def list_runs(
    session: AsyncSession, tenant_id: str, after: uuid.UUID | None, limit: int, *, newest_first: bool = False
) -> Sequence[RowMapping]:
    """A keyset page of the tenant's runs in the order they started (uuid7 ids), or newest first."""
    return await db.rows(session, db.keyset_page(R, tenant_id, {}, after=after, limit=limit, newest_first=newest_first))


async def fail_stale_runs(session: AsyncSession, before: dt.datetime, now: dt.datetime) -> int:
    """Runs whose process died (no heartbeat) are marked failed; a rerun bills what they did not."""
    result = await session.execute(
        sa.text(
            "UPDATE billing_runs SET status = 'failed', finished_at = :now, "
            "errors = errors || CAST(:e AS jsonb) WHERE status = 'running' AND heartbeat_at < :before"
        ),
        {
            "now": now,
            "before": before,
            "e": orjson.dumps([{"agreement_id": None, "error": "run interrupted"}]).decode(),
        },
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def tenants_for_auto_run(session: AsyncSession) -> Sequence[RowMapping]:
    """Every tenant with agreements, with its settings (defaults when it has none)."""
    return await db.rows(
        session,
        sa.text(
            "SELECT t.tenant_id, COALESCE(s.timezone, 'UTC') AS timezone, "
            "COALESCE(s.auto_run_enabled, true) AS "
            "enabled, "
            "COALESCE(s.auto_run_hour, 6) AS hour, s.last_auto_run_on "
            "FROM (SELECT DISTINCT tenant_id FROM agreements WHERE next_bill_date IS NOT NULL) t "
            "LEFT JOIN tenant_settings s ON s.tenant_id = t.tenant_id"
        ),
    )
