"""`vcio.billing.invoice.issued` (billing's own event) → the invoice mailed to its client, PDF attached.

The event is written in the transaction that issues the invoice, so every issued invoice has exactly one; the
mail's cause `invoice.issued:<invoice id>` makes a redelivery (or the approve route, which enqueues the same
cause in its own transaction) write nothing twice. A billing run issues thousands of invoices in seconds and a
PDF takes a few tenths of a second: rendering here keeps the PDFs out of the run's chunk transactions."""

from __future__ import annotations

import datetime as dt
import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.invoices import repository as invoices_repo
from billing.invoices.service import issued_cause
from billing.mail import messages
from vcio_shared.bus import PoisonEvent
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.events import CloudEvent
from vcio_shared.mail import skip_refused

log = structlog.get_logger("billing.mail")
# An invoice issued longer ago than this when its event is handled is not mailed: the durable consumer starts at
# the beginning of BILLING, and must not mail every invoice the stream still holds when billing first sends mail.
# A backlog (the consumer down for days) is still mailed within it; `POST /v1/invoices/{id}/send` mails any.
MAILED_WITHIN = dt.timedelta(days=7)


async def handle_invoice_issued(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """Mail the invoice the event names, once, unless it is void or older than MAILED_WITHIN. A header refused
    (CR/LF in an address or name) skips the mail, logged; the event is handled all the same (never dead-lettered
    for it)."""
    try:
        invoice_id = uuid.UUID(str(event.data["id"]))
    except (KeyError, ValueError) as exc:
        raise PoisonEvent("invoice.issued without an invoice id") from exc
    row = await invoices_repo.get(session, event.tenantid, invoice_id)
    if row is None:
        raise PoisonEvent("invoice.issued for an invoice this tenant does not have")
    if row["status"] == "void":  # voided before its mail was written: the client gets nothing
        return
    now = clock.now()
    if row["issued_at"] is not None and now - row["issued_at"] > MAILED_WITHIN:
        # the consumer is new to a stream that holds old invoices (an upgrade): do not mail them now
        log.info("old invoice not mailed", invoice=str(invoice_id), issued_at=row["issued_at"].isoformat())
        return
    await skip_refused(
        "invoice",
        messages.invoice_mail(session, event.tenantid, invoice_id, cause=issued_cause(invoice_id), now=now),
    )
