"""Every SQL query of billing runs: the due-agreement scan, chunk locks and run records; always by tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from billing.runs.models import BillingRun
from vcio_shared.logging import current_trace_headers

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
    rows = await session.execute(
        sa.text(
            "SELECT id FROM agreements WHERE tenant_id = :t AND next_bill_date <= :d "
            "AND (CAST(:after AS uuid) IS NULL OR id > :after) ORDER BY id LIMIT :n"
        ),
        {"t": tenant_id, "d": as_of, "after": after, "n": limit},
    )
    return [r[0] for r in rows]


async def lock_chunk(
    session: AsyncSession, tenant_id: str, ids: Sequence[uuid.UUID], as_of: dt.date
) -> Sequence[RowMapping]:
    """Lock the chunk's agreements (a concurrent run waits here, then sees what this one billed) and read
    what billing needs of them and their clients. JSON columns come as text, for orjson (much faster)."""
    return (
        (
            await session.execute(
                sa.text(
                    "SELECT a.id, a.client_id, a.package_name, a.billing_cycle, a.start_date, a.end_date, a.currency, "
                    "CAST(a.price_schedule AS text) AS price_schedule, "
                    "CAST(a.one_time_lines AS text) AS one_time_lines, "
                    ""
                    "a.next_bill_date, a.cancel_effective_date, "
                    "COALESCE(c.tax_rate, '0') AS tax_rate, COALESCE(c.payment_terms_days, 30) AS payment_terms_days "
                    "FROM agreements a LEFT JOIN clients c ON c.id = a.client_id AND c.tenant_id = a.tenant_id "
                    "WHERE a.tenant_id = :t AND a.id = ANY(CAST(:ids AS uuid[])) AND a.next_bill_date <= :d "
                    "ORDER BY a.id FOR UPDATE OF a"
                ),
                {"t": tenant_id, "ids": list(ids), "d": as_of},
            )
        )
        .mappings()
        .all()
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
    await session.execute(sa.update(R).where(R.c.tenant_id == tenant_id, R.c.id == run_id).values(**values))


async def get_run(session: AsyncSession, tenant_id: str, run_id: uuid.UUID) -> RowMapping | None:
    return (await session.execute(sa.select(R).where(R.c.tenant_id == tenant_id, R.c.id == run_id))).mappings().first()


async def list_runs(session: AsyncSession, tenant_id: str, after: uuid.UUID | None, limit: int) -> Sequence[RowMapping]:
    stmt = sa.select(R).where(R.c.tenant_id == tenant_id)
    if after is not None:
        stmt = stmt.where(R.c.id > after)
    return (await session.execute(stmt.order_by(R.c.id).limit(limit + 1))).mappings().all()


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
    return (
        (
            await session.execute(
                sa.text(
                    "SELECT t.tenant_id, COALESCE(s.timezone, 'UTC') AS timezone, "
                    "COALESCE(s.auto_run_enabled, true) AS "
                    "enabled, "
                    "COALESCE(s.auto_run_hour, 6) AS hour, s.last_auto_run_on "
                    "FROM (SELECT DISTINCT tenant_id FROM agreements WHERE next_bill_date IS NOT NULL) t "
                    "LEFT JOIN tenant_settings s ON s.tenant_id = t.tenant_id"
                )
            )
        )
        .mappings()
        .all()
    )


def _money(column: str) -> str:
    """SQL for the contract's money string: minor units over the currency's digits (`cd.d`), exactly."""
    return f"round(CAST({column} AS numeric) / (CAST(10 AS numeric) ^ cd.d), cd.d)::text"


_LINE_JSON = (
    "json_build_object('kind', l.kind, 'description', l.description, 'period_start', l.period_start, "
    f"'period_end', l.period_end, 'quantity', l.quantity, 'unit_amount', {_money('l.unit_amount')}, "
    f"'amount', {_money('l.amount')})"
)
_INVOICE_JSON = (
    "json_build_object('id', i.id::text, 'number', i.number, 'agreement_id', i.agreement_id::text, "
    "'client_id', i.client_id::text, 'kind', i.kind, 'status', i.status, 'period_start', i.period_start, "
    "'period_end', i.period_end, 'issue_date', i.issue_date, 'due_date', i.due_date, 'currency', i.currency, "
    f"'subtotal', {_money('i.subtotal')}, 'tax_rate', i.tax_rate, 'tax', {_money('i.tax')}, "
    f"'total', {_money('i.total')}, 'amount_paid', {_money('i.amount_paid')}, "
    f"'amount_credited', {_money('i.amount_credited')}, "
    f"'amount_due', {_money('GREATEST(i.total - i.amount_paid - i.amount_credited, 0)')}, "
    f"'lines', COALESCE((SELECT json_agg({_LINE_JSON} ORDER BY l.position) FROM invoice_lines l "
    "WHERE l.invoice_id = i.id), '[]'::json))"
)
_ISSUED_EVENTS = sa.text(
    "INSERT INTO outbox (id, tenant_id, type, payload, headers) "
    "SELECT e.eid, e.tenant_id, 'vcio.billing.invoice.issued', convert_to(json_build_object("
    "'specversion', '1.0', 'id', e.eid::text, 'source', '/vcio/billing', 'type', 'vcio.billing.invoice.issued', "
    "'subject', e.id::text, 'time', CAST(:time AS text), 'tenantid', e.tenant_id, "
    "'datacontenttype', 'application/json', 'data', e.data)::text, 'UTF8'), CAST(:h AS jsonb) "
    f"FROM (SELECT gen_random_uuid() AS eid, i.id, i.tenant_id, {_INVOICE_JSON} AS data "
    "      FROM invoices i JOIN unnest(CAST(:curs AS text[]), CAST(:digits AS int[])) AS cd(cur, d) "
    "      ON cd.cur = i.currency WHERE i.tenant_id = :t AND i.id = ANY(CAST(:ids AS uuid[])) ORDER BY i.id) e"
)


async def write_issued_events(
    session: AsyncSession, tenant_id: str, invoice_ids: Sequence[uuid.UUID], digits: dict[str, int], time: str
) -> None:
    """One `vcio.billing.invoice.issued` outbox row per invoice, built by PostgreSQL from the stored rows
    (the same CloudEvent `vcio_shared.events` writes; the invoice as `GET /v1/invoices/{id}` shows it)."""
    if not invoice_ids:
        return
    await session.execute(
        _ISSUED_EVENTS,
        {
            "ids": list(invoice_ids),
            "curs": list(digits),
            "digits": list(digits.values()),
            "t": tenant_id,
            "time": time,
            "h": orjson.dumps(current_trace_headers()).decode(),
        },
    )
    session.info["outbox_written"] = True


_OUTBOX = sa.text(
    "INSERT INTO outbox (id, tenant_id, type, payload, headers) "
    "SELECT u.id, CAST(:t AS text), CAST(:ty AS text), u.p, CAST(:h AS jsonb) "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:ps AS bytea[])) AS u(id, p)"
)


async def write_outbox(
    session: AsyncSession, tenant_id: str, type_: str, ids: Sequence[str], payloads: Sequence[bytes]
) -> None:
    """Outbox rows as `vcio_shared.events.emit_many` writes them, in one statement rather than one per row."""
    if not ids:
        return
    await session.execute(
        _OUTBOX,
        {
            "ids": list(ids),
            "ps": list(payloads),
            "t": tenant_id,
            "ty": type_,
            "h": orjson.dumps(current_trace_headers()).decode(),
        },
    )
    session.info["outbox_written"] = True
