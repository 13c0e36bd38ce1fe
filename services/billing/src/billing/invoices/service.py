"""Invoice rules: numbering at issue, payments (no overpayment), voids, credit notes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as agreements_repo
from billing.invoices import repository as repo
from billing.invoices.views import credit_note_out, invoice_out, line_out
from billing.mail import messages
from billing.runs.engine import Line, tax_of
from vcio_shared import audit, events, money
from vcio_shared.auth import Principal
from vcio_shared.errors import Conflict, Unprocessable, found
from vcio_shared.ids import uuid7
from vcio_shared.mail import count_mail, skip_refused
from vcio_shared.schemas import PageParams, page_of

SERVICE = "billing"


def invoice_number(year: int, n: int) -> str:
    return f"INV-{year}-{n:06d}"


def credit_note_number(year: int, n: int) -> str:
    return f"CN-{year}-{n:06d}"


def max_before_tax(limit: int, tax_rate: str) -> int:
    """The largest pre-tax amount whose amount plus tax (half-up, as `tax_of`) stays within `limit`."""
    if limit <= 0:
        return 0
    rate = Decimal(tax_rate)
    amount = int((Decimal(limit) * 100 / (100 + rate)).to_integral_value(ROUND_FLOOR))
    while amount + 1 + tax_of(amount + 1, tax_rate) <= limit:
        amount += 1
    while amount > 0 and amount + tax_of(amount, tax_rate) > limit:
        amount -= 1
    return amount


async def _locked(session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID) -> Mapping[Any, Any]:
    """The invoice, locked until commit (FOR UPDATE), or a 404."""
    return found(await repo.get(session, tenant_id, invoice_id, for_update=True), "no such invoice")


def _amount(amount: str, currency: str) -> int:
    """A request's `amount` in minor units, or a 422 naming it."""
    try:
        return money.parse(amount, currency)
    except money.MoneyError as exc:
        raise Unprocessable.field(["body", "amount"], str(exc)) from exc


async def get_invoice(
    session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID, *, named: bool = False
) -> dict[str, Any]:
    """The invoice as its events carry it; `named`, as the API answers it (with `client_name`)."""
    row = found(await repo.get(session, tenant_id, invoice_id, named=named), "no such invoice")
    lines = await repo.lines_for(session, tenant_id, [row["id"]])
    return invoice_out(row, lines[row["id"]], named=named)


async def list_invoices(session: AsyncSession, tenant_id: str, page: PageParams, **filters: Any) -> dict[str, Any]:
    """A page of `{"items", "next_cursor"}`."""
    rows = await repo.list_page(session, tenant_id, after=page.after, limit=page.limit, **filters)
    lines = await repo.lines_for(session, tenant_id, [r["id"] for r in rows])
    return _page([invoice_out(r, lines[r["id"]], named=True) for r in rows], page)


def _page(items: list[dict[str, Any]], page: PageParams) -> dict[str, Any]:
    return page_of(items, page.limit, id_of=lambda x: x["id"]).model_dump()


async def issue_one(
    session: AsyncSession, row: Mapping[Any, Any], issue_date: dt.date, now: dt.datetime
) -> dict[str, Any]:
    """Give a draft its number (from the tenant's counter, locked) and issue it."""
    tenant = row["tenant_id"]
    first = await repo.allocate_numbers(session, tenant, "INV", issue_date.year, 1)
    values = {
        "number": invoice_number(issue_date.year, first),
        "status": "issued",
        "issue_date": issue_date,
        "due_date": issue_date + dt.timedelta(days=row["payment_terms_days"]),
        "issued_at": now,
    }
    await repo.update(session, tenant, row["id"], values)
    issued = await get_invoice(session, tenant, row["id"])
    await events.emit(session, SERVICE, "vcio.billing.invoice.issued", tenant, issued, subject=issued["id"])
    return issued


async def approve(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, today: dt.date, now: dt.datetime
) -> dict[str, Any]:
    row = await _locked(session, principal.tenant_id, invoice_id)
    if row["status"] != "draft":
        raise Conflict(f"only a draft can be issued; this invoice is {row['status']}")
    issued = await issue_one(session, row, today, now)
    await audit.record(session, principal, "invoice.issued", "invoice", invoice_id, {"number": issued["number"]})
    # mailed in this transaction; the invoice.issued consumer finds the cause taken and writes nothing
    await skip_refused(
        "invoice",
        messages.invoice_mail(session, principal.tenant_id, invoice_id, cause=issued_cause(invoice_id), now=now),
    )
    return await get_invoice(session, principal.tenant_id, invoice_id, named=True)


def issued_cause(invoice_id: uuid.UUID | str) -> str:
    """The mail cause of an issued invoice: one message per invoice, whichever path mails it."""
    return f"invoice.issued:{invoice_id}"


async def send_again(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, now: dt.datetime
) -> dict[str, Any]:
    """Mail an issued (or paid, or uncollectible) invoice again: each call is a new message (cause
    `invoice.sent:<id>:<n>`, n counted under the invoice's lock); Idempotency-Key makes a retry replay."""
    tenant = principal.tenant_id
    row = await _locked(session, tenant, invoice_id)
    if row["status"] in ("draft", "void"):
        raise Conflict(f"a {row['status']} invoice is not sent; this one is {row['status']}")
    count = await count_mail(session, tenant, f"invoice.sent:{invoice_id}:")
    cause = f"invoice.sent:{invoice_id}:{count + 1}"
    mail_id = await messages.invoice_mail(session, tenant, invoice_id, cause=cause, now=now)
    if mail_id is None:
        raise Conflict("the client has no e-mail address")
    await audit.record(session, principal, "invoice.sent", "invoice", invoice_id, {"mail_id": str(mail_id)})
    return {"invoice_id": str(invoice_id), "mail_id": str(mail_id), "cause": cause, "status": "pending"}


async def record_payment(
    session: AsyncSession,
    principal: Principal,
    invoice_id: uuid.UUID,
    amount: str,
    paid_at: dt.datetime,
    reference: str,
    now: dt.datetime,
) -> dict[str, Any]:
    tenant = principal.tenant_id
    row = await _locked(session, tenant, invoice_id)
    if row["status"] != "issued":
        raise Conflict(f"payments are taken on issued invoices; this invoice is {row['status']}")
    minor = _amount(amount, row["currency"])
    if minor <= 0:
        raise Unprocessable.field(["body", "amount"], "must be more than zero")
    due = max(row["total"] - row["amount_paid"] - row["amount_credited"], 0)
    if minor > due:
        raise Unprocessable.field(
            ["body", "amount"], f"overpayment refused: {money.format(due, row['currency'])} is due"
        )
    payment_id = uuid7()
    await repo.insert_payment(
        session,
        {
            "id": payment_id,
            "tenant_id": tenant,
            "invoice_id": invoice_id,
            "amount": minor,
            "currency": row["currency"],
            "paid_at": paid_at,
            "reference": reference,
            "created_at": now,
        },
    )
    values: dict[str, Any] = {"amount_paid": row["amount_paid"] + minor}
    settled = minor == due
    if settled:
        values.update(status="paid", paid_at=paid_at)
    await repo.update(session, tenant, invoice_id, values)
    out = await get_invoice(session, tenant, invoice_id)
    await audit.record(
        session,
        principal,
        "invoice.payment_recorded",
        "invoice",
        invoice_id,
        {"payment_id": str(payment_id), "amount": amount, "reference": reference},
    )
    if settled:
        await events.emit(session, SERVICE, "vcio.billing.invoice.paid", tenant, out, subject=out["id"])
    payment = {
        "id": payment_id,
        "amount": money.format(minor, row["currency"]),
        "paid_at": paid_at,
        "reference": reference,
    }
    await skip_refused("receipt", messages.receipt_mail(session, tenant, out, payment, now=now))
    return await get_invoice(session, tenant, invoice_id, named=True)


async def void(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, now: dt.datetime) -> dict[str, Any]:
    tenant = principal.tenant_id
    row = await _locked(session, tenant, invoice_id)
    if row["status"] not in ("draft", "issued"):
        raise Conflict(f"a {row['status']} invoice cannot be voided")
    if row["amount_paid"] > 0:
        raise Conflict("this invoice has payments; issue a credit note instead")
    await repo.update(session, tenant, invoice_id, {"status": "void", "voided_at": now})
    out = await get_invoice(session, tenant, invoice_id)
    await audit.record(session, principal, "invoice.voided", "invoice", invoice_id, {"from": row["status"]})
    await events.emit(session, SERVICE, "vcio.billing.invoice.voided", tenant, out, subject=out["id"])
    return await get_invoice(session, tenant, invoice_id, named=True)


async def mark_uncollectible(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> dict[str, Any]:
    tenant = principal.tenant_id
    row = await _locked(session, tenant, invoice_id)
    if row["status"] != "issued":
        raise Conflict(f"only an issued invoice can be marked uncollectible; this one is {row['status']}")
    await repo.update(session, tenant, invoice_id, {"status": "uncollectible"})
    await audit.record(session, principal, "invoice.uncollectible", "invoice", invoice_id, {})
    return await get_invoice(session, tenant, invoice_id, named=True)


def _credit_amounts(invoice: Mapping[Any, Any], lines: Sequence[Line]) -> tuple[int, int, int]:
    """A credit's subtotal, tax and refund due, or why the invoice cannot take it."""
    cur = invoice["currency"]
    if invoice["status"] not in ("issued", "paid"):
        raise Conflict(f"a credit note needs an issued or paid invoice; this one is {invoice['status']}")
    subtotal = sum(line.amount for line in lines)
    tax = tax_of(subtotal, invoice["tax_rate"])
    creditable = invoice["total"] - invoice["amount_credited"]
    if subtotal <= 0 or subtotal + tax > creditable:
        # the request is before tax: quote the limit before tax too
        limit = money.format(max_before_tax(creditable, invoice["tax_rate"]), cur)
        raise Unprocessable.field(
            ["body", "amount"],
            f"a credit must be above zero and at most {limit} before tax "
            f"({money.format(creditable, cur)} with tax at {invoice['tax_rate']}%)",
        )
    unpaid = max(invoice["total"] - invoice["amount_paid"] - invoice["amount_credited"], 0)
    return subtotal, tax, max(subtotal + tax - unpaid, 0)


def _note_row(
    invoice: Mapping[Any, Any],
    number: int,
    *,
    kind: str,
    reason: str,
    lines: Sequence[Line],
    amounts: tuple[int, int, int],
    issue_date: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """A credit note's row against `invoice`; `amounts` are its subtotal, tax and refund due."""
    subtotal, tax, refund = amounts
    cur = invoice["currency"]
    return {
        "id": uuid7(),
        "tenant_id": invoice["tenant_id"],
        "number": credit_note_number(issue_date.year, number),
        "invoice_id": invoice["id"],
        "agreement_id": invoice["agreement_id"],
        "client_id": invoice["client_id"],
        "kind": kind,
        "reason": reason,
        "issue_date": issue_date,
        "currency": cur,
        "subtotal": subtotal,
        "tax": tax,
        "total": subtotal + tax,
        "refund_due": refund,
        "created_at": now,
        "lines": [line_out(ln.__dict__, cur) for ln in lines],
    }


async def credit(
    session: AsyncSession,
    actor: Principal | str,
    invoice: Mapping[Any, Any],
    *,
    kind: str,
    reason: str,
    lines: Sequence[Line],
    issue_date: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """Issue a credit note against an issued or paid invoice, for `lines` (positive amounts, before tax).

    Credits bring the invoice's credited total up to its total, never beyond. The part of a credit beyond the
    invoice's unpaid balance (it was paid) is a refund due to the client, on the note and on the invoice. An
    issued invoice whose balance reaches zero is settled.
    """
    tenant = invoice["tenant_id"]
    subtotal, tax, refund = _credit_amounts(invoice, lines)
    first = await repo.allocate_numbers(session, tenant, "CN", issue_date.year, 1)
    note = _note_row(
        invoice,
        first,
        kind=kind,
        reason=reason,
        lines=lines,
        amounts=(subtotal, tax, refund),
        issue_date=issue_date,
        now=now,
    )
    await repo.insert_credit_note(session, note)
    values: dict[str, Any] = {
        "amount_credited": invoice["amount_credited"] + subtotal + tax,
        "amount_refund_due": invoice["amount_refund_due"] + refund,
    }
    settled = invoice["status"] == "issued" and invoice["amount_paid"] + values["amount_credited"] >= invoice["total"]
    if settled:
        values.update(status="paid", paid_at=now)
    await repo.update(session, tenant, invoice["id"], values)
    out = credit_note_out(note)
    await events.emit(session, SERVICE, "vcio.billing.credit_note.issued", tenant, out, subject=out["id"])
    await skip_refused("credit note", messages.credit_note_mail(session, tenant, out, invoice["number"], now=now))
    await audit.record(
        session,
        actor,
        "credit_note.issued",
        "credit_note",
        note["id"],
        {"invoice_id": str(invoice["id"]), "total": out["total"], "kind": kind},
        tenant_id=tenant,
    )
    if settled:
        inv = await get_invoice(session, tenant, invoice["id"])
        await events.emit(session, SERVICE, "vcio.billing.invoice.paid", tenant, inv, subject=inv["id"])
    return out


async def manual_credit(
    session: AsyncSession,
    principal: Principal,
    invoice_id: uuid.UUID,
    amount: str,
    reason: str,
    today: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    row = await _locked(session, principal.tenant_id, invoice_id)
    minor = _amount(amount, row["currency"])
    return await credit(
        session,
        principal,
        row,
        kind="manual",
        reason=reason,
        lines=[Line("credit", reason, None, None, 1, minor, minor)],
        issue_date=today,
        now=now,
    )


async def get_credit_note(session: AsyncSession, tenant_id: str, credit_note_id: uuid.UUID) -> dict[str, Any]:
    row = found(await repo.get_credit_note(session, tenant_id, credit_note_id), "no such credit note")
    return credit_note_out(row)


async def list_credit_notes(session: AsyncSession, tenant_id: str, page: PageParams, **filters: Any) -> dict[str, Any]:
    """A page of `{"items", "next_cursor"}`."""
    rows = await repo.list_credit_notes(session, tenant_id, after=page.after, limit=page.limit, **filters)
    return _page([credit_note_out(r) for r in rows], page)


async def client_balance(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, as_of: dt.date | None, now: dt.datetime
) -> dict[str, Any]:
    """What a client owes per currency; a client billing does not know (never accepted a proposal) is a 404."""
    client = found(await agreements_repo.get_client(session, tenant_id, client_id), "no such client")
    day = as_of or now.astimezone(ZoneInfo(client["timezone"])).date()
    items = []
    for row in await repo.client_balance(session, tenant_id, client_id, day):
        d = money.digits(row["currency"])
        amounts = ("invoiced", "paid", "credited", "refund_due", "balance_due", "overdue", "uncollectible")
        items.append(
            {
                "currency": row["currency"],
                **{k: money.format_digits(int(row[k]), d) for k in amounts},
                "open_invoices": int(row["open_invoices"]),
                "overdue_invoices": int(row["overdue_invoices"]),
            }
        )
    return {"client_id": str(client_id), "as_of": day.isoformat(), "items": items}
