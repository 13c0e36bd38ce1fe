"""One chunk of a billing run: lock its agreements, plan in Python, write set-based, in the caller's transaction.

The chunk's invoices, lines, outbox rows and the agreements' `next_bill_date` commit together. Everything that
needs no invoice number is written first (lines reference invoices through a deferred key; each event is
serialised up to its number), so that the tenant's number counter stays locked only for the invoices, their
events and the commit.
"""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as agreements_repo
from billing.invoices import repository as invoices_repo
from billing.invoices import service as invoices
from billing.invoices.views import invoice_out
from billing.runs import engine
from billing.runs import repository as repo
from vcio_shared import events, money
from vcio_shared.auth import Principal
from vcio_shared.ids import uuid7_strings

SERVICE = "billing"
ISSUED = "vcio.billing.invoice.issued"

_invoice_record = operator.itemgetter(*invoices_repo.INVOICE_COLUMNS)  # an invoice row as COPY takes it


class DuplicatePeriod(Exception):
    """A planned invoice met an existing one: the chunk rolls back (its numbers with it)."""


@dataclass
class ChunkResult:
    processed: int = 0
    created: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Plan:
    """What a chunk writes."""

    invoice_rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)  # invoices_repo.LINE_COLUMNS
    advances: list[tuple[uuid.UUID, dt.date | None]] = field(default_factory=list)
    settled: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    credit_later: list[tuple[Mapping[Any, Any], list[Mapping[Any, Any]]]] = field(default_factory=list)


@dataclass(frozen=True)
class InvoiceContext:
    """What every invoice row written together shares: a run's chunk, or a change's adjustment invoice."""

    tenant_id: str
    as_of: dt.date  # the issue date, unless the rows are drafts
    run: str | None
    draft: bool
    now: dt.datetime


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value


def terms_of(row: Mapping[Any, Any]) -> engine.AgreementTerms:
    return engine.AgreementTerms(
        name=row["package_name"],
        cycle=row["billing_cycle"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        schedule=engine.parse_schedule(_json(row["price_schedule"])),
        one_time_lines=[(x["description"], int(x["amount"])) for x in _json(row["one_time_lines"])],
        next_bill_date=row["next_bill_date"],
        cancel_effective_date=row["cancel_effective_date"],
    )


def failed(ids: Sequence[uuid.UUID], exc: BaseException) -> ChunkResult:
    """A chunk that rolled back as a whole: each of its agreements carries the error."""
    return ChunkResult(
        processed=len(ids),
        errors=[{"agreement_id": str(i), "error": f"{type(exc).__name__}: {exc}"[:500]} for i in ids],
    )


def _plan_agreement(
    row: Mapping[Any, Any], pending: list[Mapping[Any, Any]], as_of: dt.date, plan: _Plan
) -> tuple[list[engine.PlannedInvoice], dt.date | None, list[Mapping[Any, Any]]]:
    """The agreement's invoices, its next bill date, and the adjustments its first invoice settles."""
    planned, next_bill = engine.plan(terms_of(row), as_of)
    if planned and pending:
        if planned[0].subtotal + sum(a["amount"] for a in pending) >= 0:
            planned[0].lines.extend(engine.adjustment_lines(pending))
        else:  # a credit larger than the next invoice becomes a credit note instead
            plan.credit_later.append((row, pending))
            pending = []
    money.check_currency(row["currency"])
    return planned, next_bill, pending


def invoice_row(
    row: Mapping[Any, Any], inv: engine.PlannedInvoice, invoice_id: str, ctx: InvoiceContext
) -> dict[str, Any]:
    """The invoice row of `inv` for the agreement `row` (which carries the client's tax_rate and
    payment_terms_days), as `write_invoices` takes it; its lines ride along under `_lines`."""
    subtotal = inv.subtotal
    tax = engine.tax_of(subtotal, row["tax_rate"])
    draft, as_of, now = ctx.draft, ctx.as_of, ctx.now
    return {
        "id": invoice_id,
        "tenant_id": ctx.tenant_id,
        "agreement_id": row["id"],
        "client_id": row["client_id"],
        "kind": inv.kind,
        "number": None,
        "status": "draft" if draft else "issued",
        "period_start": inv.period_start,
        "period_end": inv.period_end,
        "issue_date": None if draft else as_of,
        "due_date": None if draft else as_of + dt.timedelta(days=row["payment_terms_days"]),
        "currency": row["currency"],
        "subtotal": subtotal,
        "tax": tax,
        "total": subtotal + tax,
        "tax_rate": row["tax_rate"],
        "payment_terms_days": row["payment_terms_days"],
        "run_id": ctx.run,
        "created_at": now,
        "issued_at": None if draft else now,
        "amount_paid": 0,
        "amount_credited": 0,
        "amount_refund_due": 0,
        "_lines": inv.lines,
    }


def _plan_chunk(
    rows: Sequence[Mapping[Any, Any]],
    adjustments: Mapping[uuid.UUID, list[Mapping[Any, Any]]],
    ctx: InvoiceContext,
    result: ChunkResult,
) -> _Plan:
    plan = _Plan()
    # Ids as strings: asyncpg's COPY encodes a str straight into a uuid, a uuid.UUID through a Python property.
    invoice_ids = iter(uuid7_strings(len(rows) * 4))  # more on demand: see uuid7_strings
    line_ids = iter(uuid7_strings(len(rows) * 4))
    for row in rows:
        result.processed += 1
        try:
            planned, next_bill, pending = _plan_agreement(row, adjustments.get(row["id"], []), ctx.as_of, plan)
        except Exception as exc:  # one bad agreement does not stop the run
            result.errors.append({"agreement_id": str(row["id"]), "error": f"{type(exc).__name__}: {exc}"})
            continue
        plan.advances.append((row["id"], next_bill))
        for i, inv in enumerate(planned):
            invoice_id = next(invoice_ids)
            plan.invoice_rows.append(invoice_row(row, inv, invoice_id, ctx))
            plan.lines.extend(line_records(line_ids, ctx.tenant_id, invoice_id, inv.lines))
            if i == 0:
                plan.settled.extend((a["id"], invoice_id) for a in pending)
    return plan


def line_records(
    line_ids: Iterator[str], tenant_id: str, invoice_id: str, lines: Sequence[engine.Line]
) -> Iterator[tuple[Any, ...]]:
    return (
        (
            next(line_ids),
            tenant_id,
            invoice_id,
            position,
            ln.kind,
            ln.description,
            ln.period_start,
            ln.period_end,
            ln.quantity,
            ln.unit_amount,
            ln.amount,
        )
        for position, ln in enumerate(lines)
    )


def _unnumbered_events(
    plan: _Plan, ctx: InvoiceContext, result: ChunkResult, *, collect: bool
) -> list[tuple[str, bytes, bytes]]:
    """Each issued invoice's event id, event head (`events.encode_heads`) and data up to the number, which is
    added once numbers are taken: `invoice_out`'s keys in order with `number` moved last. Collects the dry
    run's answers."""
    rows = plan.invoice_rows
    ids = [r["id"] for r in rows]
    heads = events.encode_heads(SERVICE, ISSUED, ctx.tenant_id, ids, now=ctx.now) if not ctx.draft else []
    unnumbered: list[tuple[str, bytes, bytes]] = []
    for k, inv_row in enumerate(rows):
        out = invoice_out(inv_row, [ln.__dict__ for ln in inv_row["_lines"]])
        if not ctx.draft:
            del out["number"]
            unnumbered.append((*heads[k], orjson.dumps(out)[:-1] + b',"number":'))
        if collect:
            result.invoices.append(out)
    return unnumbered


async def write_invoices(session: AsyncSession, rows: Sequence[dict[str, Any]], ctx: InvoiceContext) -> None:
    """COPY `invoice_row`s in, numbered first unless they are drafts; a period billed already raises
    DuplicatePeriod."""
    if rows and not ctx.draft:
        first = await invoices_repo.allocate_numbers(session, ctx.tenant_id, "INV", ctx.as_of.year, len(rows))
        for offset, inv_row in enumerate(rows):
            inv_row["number"] = invoices.invoice_number(ctx.as_of.year, first + offset)
    try:
        await invoices_repo.copy_rows(
            session, "invoices", invoices_repo.INVOICE_COLUMNS, [_invoice_record(r) for r in rows]
        )
    except asyncpg.UniqueViolationError as exc:  # the chunk rolls back as a whole, its numbers with it
        raise DuplicatePeriod(f"a planned invoice already exists: {exc.detail or exc}") from exc


async def bill_chunk(
    session: AsyncSession,
    tenant_id: str,
    ids: Sequence[uuid.UUID],
    as_of: dt.date,
    *,
    run_id: uuid.UUID,
    draft: bool,
    now: dt.datetime,
    collect: bool,
) -> ChunkResult:
    """Bill one chunk in the caller's transaction (set-based writes; no per-invoice round trip)."""
    result = ChunkResult()
    ctx = InvoiceContext(tenant_id, as_of, str(run_id), draft, now)
    rows = await repo.lock_chunk(session, tenant_id, ids, as_of)
    adjustments: dict[uuid.UUID, list[Mapping[Any, Any]]] = {}
    for adj in await agreements_repo.open_adjustments(session, tenant_id, [r["id"] for r in rows]):
        adjustments.setdefault(adj["agreement_id"], []).append(adj)
    plan = _plan_chunk(rows, adjustments, ctx, result)
    await invoices_repo.copy_rows(session, "invoice_lines", invoices_repo.LINE_COLUMNS, plan.lines)
    await agreements_repo.settle_adjustments_bulk(session, tenant_id, plan.settled)
    await repo.set_next_bill_dates(session, tenant_id, plan.advances, now)
    unnumbered = _unnumbered_events(plan, ctx, result, collect=collect) if not draft or collect else []
    for inv_row in plan.invoice_rows:
        result.totals[inv_row["currency"]] = result.totals.get(inv_row["currency"], 0) + inv_row["total"]
    await write_invoices(session, plan.invoice_rows, ctx)
    if not draft:
        payloads = [
            events.finish(head, data + orjson.dumps(r["number"]) + b"}")
            for (_, head, data), r in zip(unnumbered, plan.invoice_rows, strict=True)
        ]
        await events.emit_batch(session, SERVICE, ISSUED, tenant_id, [u[0] for u in unnumbered], payloads)
    if collect:
        shown = result.invoices[-len(plan.invoice_rows) :] if plan.invoice_rows else []
        for out, inv_row in zip(shown, plan.invoice_rows, strict=True):
            out["number"] = inv_row["number"]
    result.created = len(plan.invoice_rows)
    for agreement, pending in plan.credit_later:
        period_start = pending[0]["period_start"]
        source = await invoices_repo.invoice_for_period(session, tenant_id, agreement["id"], period_start)
        if source is not None:
            await credit_adjustments(session, "billing-run", source, pending, issue_date=as_of, now=now)
    return result


async def credit_adjustments(
    session: AsyncSession,
    actor: Principal | str,
    source: Mapping[Any, Any],
    pending: Sequence[Mapping[Any, Any]],
    *,
    issue_date: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """Adjustments of one period that net to a credit, settled by one credit note on `source`, the invoice of
    that period. `actor` is a Principal or a run's name, as `invoices.credit` takes it."""
    net = -sum(a["amount"] for a in pending)
    desc = "; ".join(a["description"] for a in pending)
    period_start, period_end = pending[0]["period_start"], pending[0]["period_end"]
    note = await invoices.credit(
        session,
        actor,
        source,
        kind="adjustment",
        reason=desc,
        lines=[engine.Line("adjustment", desc, period_start, period_end, 1, net, net)],
        issue_date=issue_date,
        now=now,
    )
    await agreements_repo.settle_adjustments(
        session, source["tenant_id"], [a["id"] for a in pending], credit_note_id=uuid.UUID(note["id"])
    )
    return note
