"""The messages billing sends, each enqueued (vcio_shared.mail.enqueue) in the caller's transaction under a cause
that names it once: a redelivered event, a retried request or a sweep run twice writes nothing new.

Clients see dates in their own time zone; amounts as the invoice document shows them (vcio_shared.money digits
and the currency code). The sender is the MSP profile (proposals' msp_profile.updated): its name, its e-mail as
Reply-To, its legal name and address as the footer. Reminders and the renewal notice carry List-Unsubscribe
(mailto: the MSP's address); invoices, receipts and credit notes carry none."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import multiprocessing
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as agreements_repo
from billing.invoices import render
from billing.tenants import repository as tenants_repo
from vcio_shared.mail import Attachment, SenderProfile, enqueue, has_mail

log = structlog.get_logger("billing.mail")
_env = Environment(loader=PackageLoader("billing", "templates"), autoescape=select_autoescape(["html"]))

Seller = Mapping[str, Any]


def local_date(value: dt.datetime | str, timezone: str) -> str:
    """A moment as the client's calendar date: 9 January 2027."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return render.human_date(moment.astimezone(ZoneInfo(timezone or "UTC")).date())


# the invoice document's filters (render is imported by invoices.service, which imports this module: look late)
_env.filters["human_date"] = lambda value: render.human_date(value)
_env.filters["last_day"] = lambda value: render.last_day(value)
_env.filters["local_date"] = local_date


def sender_of(seller: Seller) -> SenderProfile:
    """The MSP's face on its mail: its name, its e-mail as Reply-To, its legal name and address as the footer."""
    footer = "\n".join(x for x in [seller.get("legal_name") or seller.get("name"), seller.get("address")] if x)
    return SenderProfile(name=seller.get("name"), reply_to=seller.get("email") or None, footer=footer or None)


def unsubscribe_of(seller: Seller) -> str | None:
    """Reminders and notices: `mailto:<the MSP's address>?subject=unsubscribe`, None with no address known."""
    return f"mailto:{seller['email']}?subject=unsubscribe" if seller.get("email") else None


async def _seller(session: AsyncSession, tenant_id: str) -> Seller:
    return await tenants_repo.get_msp_profile(session, tenant_id) or {"name": tenant_id}


@functools.cache
def _pdf_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


async def pdf_of(document: str) -> bytes:
    """The invoice document's PDF, rendered in a child process: WeasyPrint is pure Python and would hold the
    GIL, and so the service's event loop (its requests, relay and consumers), for the whole ~0.4 s of each PDF."""
    try:
        return await asyncio.get_running_loop().run_in_executor(_pdf_pool(), render.pdf_of, document)
    except BrokenProcessPool:
        _pdf_pool.cache_clear()  # the child died (killed, out of memory): the next PDF starts a new one
        raise


def bodies(name: str, **ctx: Any) -> tuple[str, str]:
    """The HTML and text parts of `mail/<name>`."""
    return _env.get_template(f"mail/{name}.html").render(**ctx), _env.get_template(f"mail/{name}.txt").render(**ctx)


async def _send(  # noqa: PLR0913 - a message's parts, each named by its caller
    session: AsyncSession,
    tenant_id: str,
    template: str,
    context: Mapping[str, Any],
    *,
    to: str,
    seller: Seller,
    cause: str,
    subject: str,
    client_id: str,
    now: dt.datetime,
    attachments: Sequence[Attachment] = (),
    unsubscribe: bool = False,
) -> uuid.UUID | None:
    """`mail/<template>` rendered with `context`, enqueued from the MSP (`seller`) under `cause`."""
    html, text = bodies(template, **context)
    return await enqueue(
        session,
        tenant_id=tenant_id,
        cause=cause,
        to=[to],
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        sender=sender_of(seller),
        client_id=client_id,
        unsubscribe=unsubscribe_of(seller) if unsubscribe else None,
        now=now,
    )


async def invoice_mail(
    session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID, *, cause: str, now: dt.datetime
) -> uuid.UUID | None:
    """The invoice to its client: lines, delivered activities, total, due date, how to pay, the PDF attached.
    None when the cause was mailed already or the client has no e-mail address."""
    if await has_mail(session, tenant_id, cause):
        return None
    ctx = await render.context(session, tenant_id, invoice_id)
    invoice, client, seller = ctx["invoice"], ctx["client"], ctx["seller"]
    if client is None or not client["email"]:
        log.info("invoice not mailed: the client has no e-mail address", invoice=str(invoice_id))
        return None
    document = await pdf_of(render.page(ctx))
    return await _send(
        session,
        tenant_id,
        "invoice",
        ctx,
        to=client["email"],
        seller=seller,
        cause=cause,
        subject=f"Invoice {invoice['number']} from {seller['name']}",
        client_id=invoice["client_id"],
        attachments=[Attachment(f"{invoice['number']}.pdf", "application/pdf", document)],
        now=now,
    )


async def receipt_mail(
    session: AsyncSession, tenant_id: str, invoice: Mapping[str, Any], payment: Mapping[str, Any], *, now: dt.datetime
) -> uuid.UUID | None:
    """A payment's receipt to the client: the amount, the day it was paid (theirs), the balance left."""
    client = await agreements_repo.get_client(session, tenant_id, uuid.UUID(invoice["client_id"]))
    if client is None or not client["email"]:
        return None
    seller = await _seller(session, tenant_id)
    return await _send(
        session,
        tenant_id,
        "receipt",
        {"invoice": invoice, "payment": payment, "client": client, "seller": seller},
        to=client["email"],
        seller=seller,
        cause=f"payment.receipt:{payment['id']}",
        subject=f"Payment received for invoice {invoice['number']}",
        client_id=invoice["client_id"],
        now=now,
    )


async def credit_note_mail(
    session: AsyncSession, tenant_id: str, note: Mapping[str, Any], invoice_number: str | None, *, now: dt.datetime
) -> uuid.UUID | None:
    """A credit note to the client: its lines, total, and any refund due to them."""
    client = await agreements_repo.get_client(session, tenant_id, uuid.UUID(note["client_id"]))
    if client is None or not client["email"]:
        return None
    seller = await _seller(session, tenant_id)
    return await _send(
        session,
        tenant_id,
        "credit_note",
        {"note": note, "invoice_number": invoice_number, "client": client, "seller": seller},
        to=client["email"],
        seller=seller,
        cause=f"credit_note.issued:{note['id']}",
        subject=f"Credit note {note['number']} for invoice {invoice_number}",
        client_id=note["client_id"],
        now=now,
    )


async def reminder_mail(  # noqa: PLR0913 - the step and the days overdue are both needed
    session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID, days: int, overdue: int, *, now: dt.datetime
) -> uuid.UUID | None:
    """The reminder step `days` of an unpaid invoice, `overdue` days after its due date (the client's): what is
    due, since when, how to pay; List-Unsubscribe."""
    ctx = await render.context(session, tenant_id, invoice_id)
    invoice, client, seller = ctx["invoice"], ctx["client"], ctx["seller"]
    if client is None or not client["email"]:
        return None
    return await _send(
        session,
        tenant_id,
        "reminder",
        {**ctx, "days": overdue},
        to=client["email"],
        seller=seller,
        cause=f"invoice.reminder:{invoice_id}:{days}",
        subject=f"Reminder: invoice {invoice['number']} is {overdue} days overdue",
        client_id=invoice["client_id"],
        unsubscribe=True,
        now=now,
    )


async def renewal_notice_mail(
    session: AsyncSession, tenant_id: str, due: Mapping[Any, Any], *, now: dt.datetime
) -> uuid.UUID | None:
    """The renewal notice to the account manager. No agreement names one, so it is the MSP profile's e-mail (the
    MSP's own inbox); with no profile e-mail nobody is mailed (the renewal_due event still goes out)."""
    seller = await _seller(session, tenant_id)
    if not seller.get("email"):
        log.info("renewal notice not mailed: the MSP profile has no e-mail", agreement=str(due["id"]))
        return None
    agreement = await agreements_repo.get(session, tenant_id, due["id"])
    client = await agreements_repo.get_client(session, tenant_id, due["client_id"])
    name = client["name"] if client else str(due["client_id"])
    return await _send(
        session,
        tenant_id,
        "renewal",
        {"agreement": agreement, "client": client, "seller": seller, "end_date": due["end_date"]},
        to=seller["email"],
        seller=seller,
        cause=f"agreement.renewal_due:{due['id']}:{due['end_date'].isoformat()}",
        subject=f"Renewal due: {name}, {agreement['package_name'] if agreement else 'agreement'}",
        client_id=str(due["client_id"]),
        unsubscribe=True,
        now=now,
    )
