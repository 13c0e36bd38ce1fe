"""Agreement flows (in Dispatch's sense: orchestration across agreements and invoices): cancel with credit for
unused days, a mid-term change of price or package, and settling such a change at once when no invoice follows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as repo
from billing.agreements.schemas import (
    AdjustmentOut,
    AgreementOut,
    CancelOut,
    ChangeOut,
    SettledByCreditNoteOut,
    SettledByInvoiceOut,
)
from billing.agreements.service import SERVICE, event_data, get_agreement, locked
from billing.invoices import repository as invoices_repo
from billing.invoices import service as invoices
from billing.invoices.schemas import CreditNoteOut, InvoiceOut
from billing.runs import chunk, engine
from vcio_shared import audit, events, money
from vcio_shared.auth import Principal
from vcio_shared.clock import Clock
from vcio_shared.errors import Conflict, Unprocessable
from vcio_shared.ids import uuid7, uuid7_strings


def _last_day(end_exclusive: dt.date) -> dt.date:
    """Descriptions are read by people, who read an end date as included; periods stay half-open in the API."""
    return end_exclusive - dt.timedelta(days=1)


# ---- cancel -------------------------------------------------------------------------------------------------


def _unused_lines(
    row: Mapping[Any, Any],
    schedule: Sequence[engine.PricePoint],
    lines: Sequence[Mapping[Any, Any]],
    effective: dt.date,
) -> list[engine.Line]:
    """Credit lines for the days from `effective` that an invoice's recurring lines had charged."""
    credit_lines = []
    for line in lines:
        if line["kind"] != "recurring" or line["period_end"] is None or line["period_end"] <= effective:
            continue
        start = line["period_start"]
        used = (
            0
            if effective <= start
            else engine.prorated_charge(engine.price_on(schedule, start), row["billing_cycle"], start, effective)
        )
        unused = line["amount"] - used
        if unused > 0:
            first_unused = max(start, effective)
            description = f"Unused days {first_unused} to {_last_day(line['period_end'])} (cancellation)"
            credit_lines.append(engine.Line("credit", description, first_unused, line["period_end"], 1, unused, unused))
    return credit_lines


async def _credit_unused(
    session: AsyncSession,
    principal: Principal,
    row: Mapping[Any, Any],
    *,
    effective: dt.date,
    reason: str | None,
    today: dt.date,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """A credit note for each issued or paid invoice that reaches past `effective`; a draft there is refused."""
    tenant = principal.tenant_id
    overlapping = await invoices_repo.invoices_overlapping(session, tenant, row["id"], effective)
    if any(inv["status"] == "draft" for inv in overlapping):
        raise Conflict("an invoice past the effective date is still a draft: issue or void it first")
    schedule = engine.parse_schedule(row["price_schedule"])
    lines_by_invoice = await invoices_repo.lines_for(session, tenant, [i["id"] for i in overlapping])
    notes = []
    for inv in overlapping:
        if inv["status"] not in ("issued", "paid"):
            continue
        credit_lines = _unused_lines(row, schedule, lines_by_invoice[inv["id"]], effective)
        if not credit_lines:
            continue
        cap = inv["total"] - inv["amount_credited"]
        subtotal = sum(x.amount for x in credit_lines)
        if subtotal + engine.tax_of(subtotal, inv["tax_rate"]) > cap:
            continue  # already credited (e.g. manually): nothing left to give back
        note = await invoices.credit(
            session,
            principal,
            inv,
            kind="cancellation",
            reason=reason or "agreement cancelled",
            lines=credit_lines,
            issue_date=today,
            now=now,
        )
        notes.append(note)
    return notes


async def cancel(
    session: AsyncSession,
    principal: Principal,
    agreement_id: uuid.UUID,
    *,
    effective: dt.date,
    reason: str | None,
    clock: Clock,
) -> CancelOut:
    """Stop billing from `effective`; credit the unused days of every invoice that reaches past it."""
    tenant, today, now = principal.tenant_id, clock.today(), clock.now()
    row = await locked(session, tenant, agreement_id)
    if row["status"] != "active":
        raise Conflict(f"this agreement is already {row['status']}")
    if not row["term_start"] <= effective <= row["end_date"]:
        raise Unprocessable.field(
            ["body", "effective_date"], f"must be within the current term [{row['term_start']}, {row['end_date']}]"
        )
    notes = await _credit_unused(session, principal, row, effective=effective, reason=reason, today=today, now=now)
    values: dict[str, Any] = {
        "status": "cancelled",
        "cancel_effective_date": effective,
        "cancelled_at": now,
        "updated_at": now,
    }
    if row["next_bill_date"] is not None and row["next_bill_date"] >= effective:
        values["next_bill_date"] = None
    await repo.update(session, tenant, agreement_id, values)
    await repo.set_churn(session, tenant, agreement_id, row["currency"], effective, -row["monthly_amount"])
    data = {
        "agreement_id": str(agreement_id),
        "client_id": str(row["client_id"]),
        "effective_date": effective.isoformat(),
        "reason": reason,
    }
    await events.emit(session, SERVICE, "vcio.billing.agreement.cancelled", tenant, data, subject=str(agreement_id))
    await audit.record(
        session,
        principal,
        "agreement.cancelled",
        "agreement",
        agreement_id,
        {"effective_date": effective.isoformat(), "credit_notes": [n["number"] for n in notes]},
    )
    out = await get_agreement(session, tenant, agreement_id)
    return CancelOut(**dict(out), credit_notes=[CreditNoteOut.model_validate(n) for n in notes])


# ---- change -------------------------------------------------------------------------------------------------


def _billed_through(row: Mapping[Any, Any], effective: dt.date) -> dt.date:
    """Where invoicing has reached; a change may not start before the latest invoiced period."""
    if not row["term_start"] <= effective < row["end_date"]:
        raise Unprocessable.field(
            ["body", "effective_date"], f"must be within the current term [{row['term_start']}, {row['end_date']})"
        )
    billed_through: dt.date = row["next_bill_date"] or row["end_date"]
    last_invoiced_start = engine.calendar_period(billed_through - dt.timedelta(days=1), row["billing_cycle"])[0]
    if effective < billed_through and last_invoiced_start > effective:
        raise Unprocessable.field(
            ["body", "effective_date"], "must not be before the start of the latest invoiced period"
        )
    return billed_through


def _adjustments(
    row: Mapping[Any, Any], prices: tuple[int, int], effective: dt.date, billed_through: dt.date, now: dt.datetime
) -> list[dict[str, Any]]:
    """Days already invoiced at the old price: a credit at it and a charge at the new one (zero amounts left out)."""
    if effective >= billed_through:
        return []
    old_price, new_price = prices
    cycle = row["billing_cycle"]
    old_amount = engine.prorated_charge(old_price, cycle, effective, billed_through)
    new_amount = engine.prorated_charge(new_price, cycle, effective, billed_through)
    last = _last_day(billed_through)
    return [
        {
            "id": uuid7(),
            "tenant_id": row["tenant_id"],
            "agreement_id": row["id"],
            "description": desc,
            "period_start": effective,
            "period_end": billed_through,
            "amount": amount,
            "invoice_id": None,
            "credit_note_id": None,
            "created_at": now,
        }
        for desc, amount in (
            (f"Credit for {effective} to {last} at the previous price", -old_amount),
            (f"Charge for {effective} to {last} at the new price", new_amount),
        )
        if amount
    ]


def _changed_values(
    row: Mapping[Any, Any],
    *,
    effective: dt.date,
    new_price: int,
    package: Mapping[Any, Any] | None,
    activities: list[dict[str, Any]] | None,
    now: dt.datetime,
) -> dict[str, Any]:
    new_schedule = [p for p in row["price_schedule"] if dt.date.fromisoformat(p["from"]) < effective]
    new_schedule.append({"from": effective.isoformat(), "monthly_amount": new_price})
    values: dict[str, Any] = {"price_schedule": new_schedule, "monthly_amount": new_price, "updated_at": now}
    if package is not None:
        values.update(
            package_id=package.get("id"),
            package_version=package.get("version"),
            package_name=package["name"],
            package_tier=package.get("tier"),
        )
    if activities is not None:
        values["activities"] = activities
    return values


async def _record_change(
    session: AsyncSession, principal: Principal, row: Mapping[Any, Any], effective: dt.date, prices: tuple[int, int]
) -> AgreementOut:
    """The MRR movement, churn, `agreement.changed` event and audit of a change; returns the changed agreement."""
    tenant, agreement_id, cur = principal.tenant_id, row["id"], row["currency"]
    old_price, new_price = prices
    if delta := new_price - old_price:
        kind = "expansion" if delta > 0 else "contraction"
        await repo.add_movement(session, tenant, agreement_id, cur, effective, kind, delta)
    await repo.set_churn(session, tenant, agreement_id, cur, row["end_date"], -new_price)
    new = await get_agreement(session, tenant, agreement_id)
    out = event_data(new)
    data = {
        "agreement_id": out["id"],
        "client_id": out["client_id"],
        "effective_date": effective.isoformat(),
        "package": {k: out["package"][k] for k in ("id", "version", "name")},
        "monthly_amount": out["monthly_amount"],
        "currency": out["currency"],
        "activities": out["activities"],
    }
    await events.emit(session, SERVICE, "vcio.billing.agreement.changed", tenant, data, subject=out["id"])
    change = {"from": money.format(old_price, cur), "to": out["monthly_amount"]}
    detail = {"effective_date": effective.isoformat(), "monthly_amount": change}
    await audit.record(session, principal, "agreement.changed", "agreement", agreement_id, detail)
    return new


async def change(
    session: AsyncSession,
    principal: Principal,
    agreement_id: uuid.UUID,
    *,
    effective: dt.date,
    monthly_amount: str,
    package: Mapping[Any, Any] | None,
    activities: list[dict[str, Any]] | None,
    clock: Clock,
) -> ChangeOut:
    """A new price (and package) from `effective`. Days already invoiced at the old price get a credit line
    and a charge line at the new one, on the agreement's next invoice (see README for the convention)."""
    tenant, today, now = principal.tenant_id, clock.today(), clock.now()
    row = await locked(session, tenant, agreement_id)
    if row["status"] != "active":
        raise Conflict(f"this agreement is {row['status']}")
    try:
        new_price = money.parse(monthly_amount, row["currency"])
    except money.MoneyError as exc:
        raise Unprocessable.field(["body", "monthly_amount"], str(exc)) from exc
    billed_through = _billed_through(row, effective)
    old_price = engine.price_on(engine.parse_schedule(row["price_schedule"]), effective)
    adjustments = _adjustments(row, (old_price, new_price), effective, billed_through, now)
    await repo.add_adjustments(session, adjustments)
    settled_by = None
    net = sum(a["amount"] for a in adjustments)
    if adjustments and row["next_bill_date"] is None and net != 0:
        period = (effective, billed_through)
        settled_by = await _settle_now(
            session, principal, row, adjustments=adjustments, period=period, today=today, now=now
        )
    values = _changed_values(
        row, effective=effective, new_price=new_price, package=package, activities=activities, now=now
    )
    await repo.update(session, tenant, agreement_id, values)
    out = await _record_change(session, principal, row, effective, (old_price, new_price))
    cur = row["currency"]
    return ChangeOut(
        agreement=out,
        settled_by=settled_by,
        adjustments=[
            AdjustmentOut(
                description=a["description"],
                period_start=a["period_start"],
                period_end=a["period_end"],
                amount=money.format(a["amount"], cur),
            )
            for a in adjustments
        ],
    )


# ---- settle -------------------------------------------------------------------------------------------------


async def _settle_now(
    session: AsyncSession,
    principal: Principal,
    row: Mapping[Any, Any],
    *,
    adjustments: list[dict[str, Any]],
    period: tuple[dt.date, dt.date],
    today: dt.date,
    now: dt.datetime,
) -> SettledByInvoiceOut | SettledByCreditNoteOut | None:
    """No invoice follows in this term: settle the adjustments of `period` at once (an adjustment invoice, or a
    credit note when they net to a credit). None: left pending, with nothing issued to credit against."""
    tenant = principal.tenant_id
    if sum(a["amount"] for a in adjustments) < 0:
        source = await invoices_repo.invoice_for_period(session, tenant, row["id"], period[0])
        if source is None or source["status"] not in ("issued", "paid"):
            return None
        note = await chunk.credit_adjustments(session, principal, source, adjustments, issue_date=today, now=now)
        return SettledByCreditNoteOut(credit_note=CreditNoteOut.model_validate(note))
    invoice_id = await _adjustment_invoice(session, row, adjustments, period, now)
    await repo.settle_adjustments(session, tenant, [a["id"] for a in adjustments], invoice_id=invoice_id)
    inv_row = await invoices_repo.get(session, tenant, invoice_id)
    assert inv_row is not None
    await invoices.issue_one(session, inv_row, today, now)
    invoice = await invoices.get_invoice(session, tenant, invoice_id, named=True)
    return SettledByInvoiceOut(invoice=InvoiceOut.model_validate(invoice))


async def _adjustment_invoice(
    session: AsyncSession,
    row: Mapping[Any, Any],
    adjustments: list[dict[str, Any]],
    period: tuple[dt.date, dt.date],
    now: dt.datetime,
) -> uuid.UUID:
    """A draft adjustment invoice holding the adjustments as its lines, at the client's tax rate and terms,
    written as a billing run writes its invoices."""
    tenant = row["tenant_id"]
    client = await repo.get_client(session, tenant, row["client_id"])
    billed = {
        **row,
        "tax_rate": client["tax_rate"] if client else "0",
        "payment_terms_days": client["payment_terms_days"] if client else 30,
    }
    planned = engine.PlannedInvoice(*period, engine.adjustment_lines(adjustments), kind="adjustment")
    ids = uuid7_strings(1 + len(planned.lines))
    invoice_id = next(ids)
    ctx = chunk.InvoiceContext(tenant, period[0], run=None, draft=True, now=now)
    try:
        await chunk.write_invoices(session, [chunk.invoice_row(billed, planned, invoice_id, ctx)], ctx)
    except chunk.DuplicatePeriod as exc:
        raise Conflict("an adjustment invoice for this period exists already: change from another date") from exc
    records = list(chunk.line_records(ids, tenant, invoice_id, planned.lines))
    await invoices_repo.copy_rows(session, "invoice_lines", invoices_repo.LINE_COLUMNS, records)
    return uuid.UUID(invoice_id)
