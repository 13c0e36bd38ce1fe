"""Every SQL query on invoices, lines, payments, credit notes and number counters; always filtered by tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db
from billing.agreements.models import Client
from billing.invoices.models import CreditNote, DocumentCounter, Invoice, InvoiceLine, Payment
from vcio_shared import rows
from vcio_shared.db import Reader, driver_connection
from vcio_shared.pages import keyset_query

I: sa.Table = Invoice.__table__  # type: ignore[attr-defined]  # noqa: E741
L: sa.Table = InvoiceLine.__table__  # type: ignore[attr-defined]
PAY: sa.Table = Payment.__table__  # type: ignore[attr-defined]
CN: sa.Table = CreditNote.__table__  # type: ignore[attr-defined]
DC: sa.Table = DocumentCounter.__table__  # type: ignore[attr-defined]
C: sa.Table = Client.__table__  # type: ignore[attr-defined]

# The invoice's client's name as billing knows it (NULL for a client it has not heard of): what answers show.
CLIENT_NAME = (
    sa.select(C.c.name)
    .where(C.c.tenant_id == I.c.tenant_id, C.c.id == I.c.client_id)
    .scalar_subquery()
    .label("client_name")
)


async def allocate_numbers(session: AsyncSession, tenant_id: str, series: str, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers; returns the first. One statement: the counter row is created or
    advanced, and stays locked until commit, so a concurrent allocator waits, and a rollback gives the numbers
    back: the sequence has no gaps."""
    if count <= 0:
        return 0
    last = await session.scalar(
        sa.text(
            "INSERT INTO document_counters (tenant_id, series, year, last_number) VALUES (:t, :s, :y, :n) "
            "ON CONFLICT (tenant_id, series, year) "
            "DO UPDATE SET last_number = document_counters.last_number + EXCLUDED.last_number "
            "RETURNING last_number"
        ),
        {"t": tenant_id, "s": series, "y": year, "n": count},
    )
    return int(last) - count + 1


# The bulk path of billing runs: COPY (binary) of tuples in these column orders, in the session's transaction.
INVOICE_COLUMNS = (
    "id",
    "tenant_id",
    "agreement_id",
    "client_id",
    "kind",
    "number",
    "status",
    "period_start",
    "period_end",
    "issue_date",
    "due_date",
    "currency",
    "subtotal",
    "tax",
    "total",
    "tax_rate",
    "payment_terms_days",
    "run_id",
    "created_at",
    "issued_at",
)
LINE_COLUMNS = (
    "id",
    "tenant_id",
    "invoice_id",
    "position",
    "kind",
    "description",
    "period_start",
    "period_end",
    "quantity",
    "unit_amount",
    "amount",
)


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]
) -> None:
    """COPY `records` into `table` within the session's transaction (a few times cheaper than INSERT ... unnest
    for PostgreSQL and for us). A unique or foreign key violation fails the statement, like an INSERT would."""
    if records:
        conn = await driver_connection(session)
        await conn.copy_records_to_table(table, records=records, columns=list(columns))


async def get(
    session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID, *, for_update: bool = False, named: bool = False
) -> RowMapping | None:
    """The invoice's row; `named` adds its client's `client_name`."""
    query = rows.one(I, tenant_id, invoice_id, for_update=for_update)
    return await db.first(session, query.add_columns(CLIENT_NAME) if named else query)


async def list_page(
    session: AsyncSession,
    tenant_id: str,
    *,
    agreement_id: uuid.UUID | None,
    client_id: uuid.UUID | None,
    status: str | None,
    run_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
    period_start_from: dt.date | None = None,
    period_start_before: dt.date | None = None,
    newest_first: bool = False,
) -> Sequence[RowMapping]:
    """A keyset page of the tenant's invoices (made first, or newest first), each with its `client_name`;
    `period_start_from <= period_start < period_start_before` when given."""
    filters = {"agreement_id": agreement_id, "client_id": client_id, "status": status, "run_id": run_id}
    query = db.keyset_page(I, tenant_id, filters, after=after, limit=limit, newest_first=newest_first)
    query = query.add_columns(CLIENT_NAME)
    if period_start_from is not None:
        query = query.where(I.c.period_start >= period_start_from)
    if period_start_before is not None:
        query = query.where(I.c.period_start < period_start_before)
    return await db.rows(session, query)


async def lines_for(
    session: AsyncSession, tenant_id: str, invoice_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RowMapping]]:
    out: dict[uuid.UUID, list[RowMapping]] = {i: [] for i in invoice_ids}
    if not invoice_ids:
        return out
    found = await db.rows(
        session,
        sa.select(L)
        .where(L.c.tenant_id == tenant_id, L.c.invoice_id.in_(invoice_ids))
        .order_by(L.c.invoice_id, L.c.position),
    )
    for row in found:
        out[row["invoice_id"]].append(row)
    return out


def _recurring_locked(tenant_id: str, agreement_id: uuid.UUID, *where: Any) -> sa.Select[Any]:
    """The agreement's recurring invoices that meet `where`, locked FOR UPDATE."""
    mine = (I.c.tenant_id == tenant_id, I.c.agreement_id == agreement_id, I.c.kind == "recurring")
    return sa.select(I).where(*mine, *where).with_for_update()


async def invoices_overlapping(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, day: dt.date
) -> Sequence[RowMapping]:
    """Recurring invoices of an agreement whose period ends after `day` (what a cancellation must credit)."""
    stmt = _recurring_locked(tenant_id, agreement_id, I.c.period_end > day)
    return await db.rows(session, stmt.order_by(I.c.period_start))


async def invoice_for_period(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, day: dt.date
) -> RowMapping | None:
    """The recurring invoice of an agreement whose period holds `day`."""
    return await db.first(
        session, _recurring_locked(tenant_id, agreement_id, I.c.period_start <= day, I.c.period_end > day)
    )


async def latest_recurring(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> RowMapping | None:
    return await db.first(
        session,
        sa.select(I)
        .where(I.c.tenant_id == tenant_id, I.c.agreement_id == agreement_id, I.c.kind == "recurring")
        .order_by(I.c.period_start.desc())
        .limit(1),
    )


async def update(session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(rows.update_one(I, tenant_id, invoice_id, dict(values)))


async def insert_payment(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(sa.insert(PAY).values(**values))


async def payments_for(session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID) -> Sequence[RowMapping]:
    return await db.rows(
        session, sa.select(PAY).where(PAY.c.tenant_id == tenant_id, PAY.c.invoice_id == invoice_id).order_by(PAY.c.id)
    )


async def insert_credit_note(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(sa.insert(CN).values(**values))


async def get_credit_note(session: AsyncSession, tenant_id: str, credit_note_id: uuid.UUID) -> RowMapping | None:
    return await db.first(session, rows.one(CN, tenant_id, credit_note_id))


async def list_credit_notes(
    session: AsyncSession,
    tenant_id: str,
    *,
    invoice_id: uuid.UUID | None,
    agreement_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[RowMapping]:
    filters = {"invoice_id": invoice_id, "agreement_id": agreement_id}
    return await db.rows(session, keyset_query(CN, tenant_id, filters, after=after, limit=limit))


# The whole of GET /v1/invoices/{id} in one statement: the invoice, its client's name, its lines, and the
# activities delivered to the client due in the calendar period before the invoice's own
# (deliveries.repository.COUNTS_ON; month, quarter or year by the agreement's cycle; PostgreSQL quarters start in
# Jan/Apr/Jul/Oct like the engine's). A test compares it with the ORM path row for row.
_VIEW = """
SELECT i.*,
       (SELECT c.name FROM clients c WHERE c.tenant_id = i.tenant_id AND c.id = i.client_id) AS client_name,
       ARRAY(SELECT l FROM invoice_lines l WHERE l.tenant_id = i.tenant_id AND l.invoice_id = i.id
             ORDER BY l.position) AS lines,
       p.prev_start,
       ARRAY(SELECT d FROM delivered_activities d
             WHERE d.tenant_id = i.tenant_id AND d.client_id = i.client_id
               AND COALESCE(d.due_date, d.completed_on) >= p.prev_start
               AND COALESCE(d.due_date, d.completed_on) < i.period_start
             ORDER BY COALESCE(d.due_date, d.completed_on), d.completed_on, d.id) AS delivered
FROM invoices i
LEFT JOIN agreements a ON a.tenant_id = i.tenant_id AND a.id = i.agreement_id
CROSS JOIN LATERAL (
    SELECT CAST(date_trunc(CASE a.billing_cycle WHEN 'quarterly' THEN 'quarter' WHEN 'annual' THEN 'year'
                           ELSE 'month' END, CAST(i.period_start - 1 AS timestamp)) AS date) AS prev_start
) p
WHERE i.tenant_id = $1 AND i.id = $2
"""


async def fetch_view(reader: Reader, tenant_id: str, invoice_id: uuid.UUID) -> asyncpg.Record | None:
    """One round trip on a bare connection (`db.reader_of`): the hot read of the API."""
    return await reader.fetchrow(_VIEW, tenant_id, invoice_id)


# One client's invoices summed per currency (`GET /v1/clients/{id}/balance`): drafts and voids are not owed.
_BALANCE = """
SELECT currency,
       COALESCE(SUM(total), 0) AS invoiced,
       COALESCE(SUM(amount_paid), 0) AS paid,
       COALESCE(SUM(amount_credited), 0) AS credited,
       COALESCE(SUM(amount_refund_due), 0) AS refund_due,
       COALESCE(SUM(GREATEST(total - amount_paid - amount_credited, 0)) FILTER (WHERE status = 'issued'), 0)
         AS balance_due,
       COALESCE(SUM(GREATEST(total - amount_paid - amount_credited, 0))
                FILTER (WHERE status = 'issued' AND due_date < :as_of), 0) AS overdue,
       COUNT(*) FILTER (WHERE status = 'issued' AND total - amount_paid - amount_credited > 0) AS open_invoices,
       COUNT(*) FILTER (WHERE status = 'issued' AND total - amount_paid - amount_credited > 0
                        AND due_date < :as_of) AS overdue_invoices,
       COALESCE(SUM(GREATEST(total - amount_paid - amount_credited, 0)) FILTER (WHERE status = 'uncollectible'), 0)
         AS uncollectible
FROM invoices
WHERE tenant_id = :t AND client_id = :c AND status IN ('issued', 'paid', 'uncollectible')
GROUP BY currency ORDER BY currency
"""


async def client_balance(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, as_of: dt.date
) -> Sequence[RowMapping]:
    """Per currency: invoiced, paid, credited, refund due, balance due, overdue (due before `as_of`), in minor
    units, and the open and overdue invoices' counts."""
    return await db.rows(session, sa.text(_BALANCE).bindparams(t=tenant_id, c=client_id, as_of=as_of))
