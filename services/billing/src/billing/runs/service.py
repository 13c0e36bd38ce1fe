"""Billing runs: stream due agreements in keyset chunks, plan in Python, write each chunk set-based, commit.

A chunk is one transaction: its agreements are locked FOR UPDATE, its invoices, lines, outbox rows and the
agreements' `next_bill_date` commit together. A crash loses at most the chunk in flight; a rerun (or a
concurrent run, which waits on the locks) finds those agreements already advanced, and the unique key
(agreement, period_start, kind) refuses any second invoice for a period regardless.

A dry run does exactly the same work in one transaction and rolls it back: it returns what a real run would
make, numbers included, and writes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import operator
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as agreements_repo
from billing.invoices import repository as invoices_repo
from billing.invoices import service as invoices
from billing.runs import engine
from billing.runs import repository as repo
from billing.tenants import repository as tenants_repo
from vcio_shared import audit, events, money
from vcio_shared.errors import NotFound
from vcio_shared.ids import uuid7, uuid7_strings

log = structlog.get_logger("billing.runs")
SERVICE = "billing"
CHUNK_SIZE = int(os.environ.get("BILLING_RUN_CHUNK_SIZE", "2000"))
WORKERS = int(os.environ.get("BILLING_RUN_WORKERS", "2"))


def _event_heads(tenant_id: str, invoice_ids: Sequence[str], time_iso: str) -> list[tuple[str, bytes]]:
    """(event id, the CloudEvent's JSON up to its data) for each invoice.issued: the envelope
    `vcio_shared.events` writes, key for key; the data follows once the invoice has its number. Only the two ids
    differ from one event to the next, so the rest is serialised once per chunk."""
    before_id = b'{"specversion":"1.0","id":"'
    before_subject = b'","source":"/vcio/billing","type":"vcio.billing.invoice.issued","subject":"'
    tail = (
        b'","time":'
        + orjson.dumps(time_iso)
        + b',"tenantid":'
        + orjson.dumps(tenant_id)
        + b',"datacontenttype":"application/json","data":'
    )
    return [
        (event_id, b"".join((before_id, event_id.encode(), before_subject, str(invoice_id).encode(), tail)))
        for invoice_id, event_id in zip(invoice_ids, uuid7_strings(len(invoice_ids)), strict=False)
    ]


_invoice_record = operator.itemgetter(*invoices_repo.INVOICE_COLUMNS)  # an invoice row as COPY takes it


class DuplicatePeriod(Exception):
    """A planned invoice met an existing one: the chunk rolls back (its numbers with it)."""


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


def run_out(
    row: Mapping[Any, Any], *, dry_run: bool = False, invoices_: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    out = {
        "id": str(row["id"]),
        "status": row["status"],
        "as_of": row["as_of"].isoformat(),
        "dry_run": dry_run,
        "trigger": row["trigger"],
        "agreements_total": row["agreements_total"],
        "agreements_processed": row["agreements_processed"],
        "invoices_created": row["invoices_created"],
        "totals": [{"currency": c, "amount": money.format(v, c)} for c, v in sorted(row["totals"].items())],
        "errors": row["errors"],
        "started_at": row["started_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
        "duration_ms": row["duration_ms"],
    }
    if invoices_ is not None:
        out["invoices"] = invoices_
    return out


class ChunkResult:
    def __init__(self) -> None:
        self.processed = 0
        self.created = 0
        self.totals: dict[str, int] = {}
        self.errors: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []


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
    rows = await repo.lock_chunk(session, tenant_id, ids, as_of)
    adjustments: dict[uuid.UUID, list[Mapping[Any, Any]]] = {}
    for adj in await agreements_repo.open_adjustments(session, tenant_id, [r["id"] for r in rows]):
        adjustments.setdefault(adj["agreement_id"], []).append(adj)
    invoice_rows: list[dict[str, Any]] = []
    lines: list[tuple[Any, ...]] = []  # invoices_repo.LINE_COLUMNS
    advances: list[tuple[uuid.UUID, dt.date | None]] = []
    settled: list[tuple[uuid.UUID, str]] = []
    credit_later: list[tuple[Mapping[Any, Any], list[Mapping[Any, Any]]]] = []
    # Ids as strings: asyncpg's COPY encodes a str straight into a uuid, a uuid.UUID through a Python property.
    invoice_ids = iter(uuid7_strings(len(rows) * 4))  # more on demand: see uuid7_strings
    line_ids = iter(uuid7_strings(len(rows) * 4))
    run = str(run_id)
    for row in rows:
        result.processed += 1
        try:
            planned, next_bill = engine.plan(terms_of(row), as_of)
            pending = adjustments.get(row["id"], [])
            if planned and pending:
                adj_lines = [
                    engine.Line(
                        "adjustment", a["description"], a["period_start"], a["period_end"], 1, a["amount"], a["amount"]
                    )
                    for a in pending
                ]
                if planned[0].subtotal + sum(a["amount"] for a in pending) >= 0:
                    planned[0].lines.extend(adj_lines)
                else:  # a credit larger than the next invoice becomes a credit note instead
                    credit_later.append((row, pending))
                    pending = []
            money.check_currency(row["currency"])
        except Exception as exc:  # one bad agreement does not stop the run
            result.errors.append({"agreement_id": str(row["id"]), "error": f"{type(exc).__name__}: {exc}"})
            continue
        advances.append((row["id"], next_bill))
        for i, inv in enumerate(planned):
            invoice_id = next(invoice_ids)
            subtotal = inv.subtotal
            tax = engine.tax_of(subtotal, row["tax_rate"])
            invoice_rows.append(
                {
                    "id": invoice_id,
                    "tenant_id": tenant_id,
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
                    "run_id": run,
                    "created_at": now,
                    "issued_at": None if draft else now,
                    "amount_paid": 0,
                    "amount_credited": 0,
                    "amount_refund_due": 0,
                    "_lines": inv.lines,
                }
            )
            lines.extend(
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
                for position, ln in enumerate(inv.lines)
            )
            if i == 0:
                settled.extend((a["id"], invoice_id) for a in pending)
    # Everything that needs no invoice number first (lines reference invoices through a deferred key; each
    # event is serialised up to its number) ...
    await invoices_repo.copy_rows(session, "invoice_lines", invoices_repo.LINE_COLUMNS, lines)
    await agreements_repo.settle_adjustments_bulk(session, tenant_id, settled)
    await repo.set_next_bill_dates(session, tenant_id, advances, now)
    unnumbered: list[bytes] = []
    if not draft or collect:
        heads = _event_heads(tenant_id, [r["id"] for r in invoice_rows], now.isoformat()) if not draft else []
        for k, inv_row in enumerate(invoice_rows):
            out = invoices.invoice_out(inv_row, [ln.__dict__ for ln in inv_row["_lines"]])
            if not draft:
                del out["number"]
                unnumbered.append(heads[k][1] + orjson.dumps(out)[:-1] + b',"number":')
            if collect:
                result.invoices.append(out)
    for inv_row in invoice_rows:
        result.totals[inv_row["currency"]] = result.totals.get(inv_row["currency"], 0) + inv_row["total"]
    # ... so that the tenant's number counter stays locked only for the invoices, their events and the commit.
    if invoice_rows and not draft:
        first = await invoices_repo.allocate_numbers(session, tenant_id, "INV", as_of.year, len(invoice_rows))
        for offset, inv_row in enumerate(invoice_rows):
            inv_row["number"] = invoices.invoice_number(as_of.year, first + offset)
    try:
        await invoices_repo.copy_rows(
            session,
            "invoices",
            invoices_repo.INVOICE_COLUMNS,
            [_invoice_record(r) for r in invoice_rows],
        )
    except asyncpg.UniqueViolationError as exc:  # the chunk rolls back as a whole, its numbers with it
        raise DuplicatePeriod(f"a planned invoice already exists: {exc.detail or exc}") from exc
    if not draft:
        payloads = [
            part + b'"' + r["number"].encode() + b'"}}' for part, r in zip(unnumbered, invoice_rows, strict=True)
        ]
        await events.emit_batch(
            session, SERVICE, "vcio.billing.invoice.issued", tenant_id, [h[0] for h in heads], payloads
        )
    if collect:
        for out, inv_row in zip(
            result.invoices[-len(invoice_rows) :] if invoice_rows else [], invoice_rows, strict=True
        ):
            out["number"] = inv_row["number"]
    result.created = len(invoice_rows)
    for agreement, pending in credit_later:
        await _credit_adjustments(session, tenant_id, agreement, pending, as_of, now)
    return result


async def _credit_adjustments(
    session: AsyncSession,
    tenant_id: str,
    agreement: Mapping[Any, Any],
    pending: Sequence[Mapping[Any, Any]],
    as_of: dt.date,
    now: dt.datetime,
) -> None:
    source = await invoices_repo.invoice_for_period(session, tenant_id, agreement["id"], pending[0]["period_start"])
    if source is None:
        return
    net = -sum(a["amount"] for a in pending)
    desc = "; ".join(a["description"] for a in pending)
    note = await invoices.credit(
        session,
        "billing-run",
        source,
        kind="adjustment",
        reason=desc,
        lines=[engine.Line("adjustment", desc, pending[0]["period_start"], pending[0]["period_end"], 1, net, net)],
        issue_date=as_of,
        now=now,
    )
    await agreements_repo.settle_adjustments(
        session, tenant_id, [a["id"] for a in pending], credit_note_id=uuid.UUID(note["id"])
    )


async def start(
    session: AsyncSession, tenant_id: str, as_of: dt.date, *, trigger: str, created_by: str, now: dt.datetime
) -> dict[str, Any]:
    """Record a run as `running` (the caller commits it before the chunks start)."""
    run_id = uuid7()
    values = {
        "id": run_id,
        "tenant_id": tenant_id,
        "as_of": as_of,
        "status": "running",
        "trigger": trigger,
        "agreements_total": await repo.count_due(session, tenant_id, as_of),
        "agreements_processed": 0,
        "invoices_created": 0,
        "totals": {},
        "errors": [],
        "created_by": created_by,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "duration_ms": None,
    }
    await repo.insert_run(session, values)
    await audit.record(
        session,
        created_by,
        "billing_run.started",
        "billing_run",
        run_id,
        {"as_of": as_of.isoformat(), "trigger": trigger},
        tenant_id=tenant_id,
    )
    return values


async def execute(
    sessionmaker: Any, clock: Any, run: Mapping[Any, Any], *, chunk_size: int = 0, on_progress: Any = None
) -> dict[str, Any]:
    """Bill a started run chunk by chunk, committing each; then complete it and emit billing_run.completed."""
    tenant_id, run_id, as_of = run["tenant_id"], run["id"], run["as_of"]
    chunk_size = chunk_size or CHUNK_SIZE
    started = time.perf_counter()
    async with sessionmaker() as session:
        draft = bool((await tenants_repo.get(session, tenant_id))["draft_review"])
    totals: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    cursor: dict[str, uuid.UUID | None] = {"after": None}
    scan = asyncio.Lock()

    async def next_ids(session: AsyncSession) -> list[uuid.UUID]:
        async with scan:  # one keyset cursor shared by the workers: each chunk goes to exactly one
            ids = await repo.due_ids(session, tenant_id, as_of, cursor["after"], chunk_size)
            if ids:
                cursor["after"] = ids[-1]
            return ids

    async def worker() -> None:
        while True:
            async with sessionmaker() as session:
                ids = await next_ids(session)
                if not ids:
                    await session.rollback()
                    return
                try:
                    async with session.begin_nested():
                        chunk = await bill_chunk(
                            session, tenant_id, ids, as_of, run_id=run_id, draft=draft, now=clock.now(), collect=False
                        )
                except Exception as exc:  # the chunk rolled back as a whole; the rest of the run goes on
                    log.warning("billing chunk failed", run=str(run_id), error=repr(exc)[:300])
                    chunk = ChunkResult()
                    chunk.processed = len(ids)
                    chunk.errors = [
                        {"agreement_id": str(i), "error": f"{type(exc).__name__}: {exc}"[:500]} for i in ids
                    ]
                for cur, amount in chunk.totals.items():
                    totals[cur] = totals.get(cur, 0) + amount
                errors.extend(chunk.errors)
                await repo.progress(
                    session,
                    tenant_id,
                    run_id,
                    processed=chunk.processed,
                    created=chunk.created,
                    totals=totals,
                    errors=errors[:1000],
                    now=clock.now(),
                )
                await session.commit()
            if on_progress is not None:
                on_progress()

    # Two workers: while one waits on PostgreSQL (its writes, or the number counter the other holds until it
    # commits), the other plans its chunk in Python. Numbers stay gapless: each block is taken under the lock.
    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    async with sessionmaker() as session, session.begin():
        await repo.update_run(
            session,
            tenant_id,
            run_id,
            {
                "status": "completed",
                "finished_at": clock.now(),
                "duration_ms": int((time.perf_counter() - started) * 1000),
            },
        )
        out = run_out(await repo.get_run(session, tenant_id, run_id))  # type: ignore[arg-type]
        await events.emit(session, SERVICE, "vcio.billing.billing_run.completed", tenant_id, out, subject=out["id"])
    if on_progress is not None:
        on_progress()
    return out


async def dry_run(
    sessionmaker: Any, clock: Any, tenant_id: str, as_of: dt.date, *, chunk_size: int = 0
) -> dict[str, Any]:
    """Everything a real run would do, in one transaction that is rolled back: nothing is written."""
    chunk_size = chunk_size or CHUNK_SIZE
    started = time.perf_counter()
    now = clock.now()
    run_id = uuid7()
    result = ChunkResult()
    async with sessionmaker() as session:
        await session.begin()
        try:
            draft = bool((await tenants_repo.get(session, tenant_id))["draft_review"])
            total = await repo.count_due(session, tenant_id, as_of)
            after: uuid.UUID | None = None
            while ids := await repo.due_ids(session, tenant_id, as_of, after, chunk_size):
                after = ids[-1]
                try:
                    async with session.begin_nested():
                        chunk = await bill_chunk(
                            session, tenant_id, ids, as_of, run_id=run_id, draft=draft, now=now, collect=True
                        )
                except Exception as exc:
                    chunk = ChunkResult()
                    chunk.processed = len(ids)
                    chunk.errors = [
                        {"agreement_id": str(i), "error": f"{type(exc).__name__}: {exc}"[:500]} for i in ids
                    ]
                result.processed += chunk.processed
                result.created += chunk.created
                result.errors.extend(chunk.errors)
                result.invoices.extend(chunk.invoices)
                for cur, amount in chunk.totals.items():
                    result.totals[cur] = result.totals.get(cur, 0) + amount
        finally:
            await session.rollback()
    row = {
        "id": run_id,
        "status": "completed",
        "as_of": as_of,
        "trigger": "api",
        "agreements_total": total,
        "agreements_processed": result.processed,
        "invoices_created": result.created,
        "totals": result.totals,
        "errors": result.errors,
        "started_at": now,
        "finished_at": clock.now(),
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }
    return run_out(row, dry_run=True, invoices_=result.invoices)


async def get_run(session: AsyncSession, tenant_id: str, run_id: uuid.UUID) -> dict[str, Any]:
    row = await repo.get_run(session, tenant_id, run_id)
    if row is None:
        raise NotFound("no such billing run")
    return run_out(row)


async def list_runs(session: AsyncSession, tenant_id: str, after: uuid.UUID | None, limit: int) -> list[dict[str, Any]]:
    return [run_out(r) for r in await repo.list_runs(session, tenant_id, after, limit)]


def spawn(runtime: Any, coro: Any) -> asyncio.Task[Any]:
    """Keep a reference to a background run so it is not garbage-collected mid-way."""
    tasks: set[asyncio.Task[Any]] = runtime.extras.setdefault("billing_runs", set())
    task = asyncio.create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task
