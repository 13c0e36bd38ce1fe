"""`vcio.billing.invoice.issued` (billing's own event) → the invoice mailed to its client, PDF attached.

The event is written in the transaction that issues the invoice, so every issued invoice has exactly one; the
mail's cause `invoice.issued:<invoice id>` makes a redelivery (or the approve route, which enqueues the same
cause in its own transaction) write nothing twice. A billing run issues thousands of invoices in seconds and a
PDF takes a few tenths of a second: rendering here keeps the PDFs out of the run's chunk transactions."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing.invoices import repository as invoices_repo
from billing.invoices.service import issued_cause
from billing.mail import messages
from vcio_shared.bus import PoisonEvent
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.events import CloudEvent


async def handle_invoice_issued(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """Mail the invoice the event names, once. A header refused (CR/LF in an address or name) skips the mail,
    logged; the event is handled all the same (never dead-lettered for it)."""
    try:
        invoice_id = uuid.UUID(str(event.data["id"]))
    except (KeyError, ValueError) as exc:
        raise PoisonEvent("invoice.issued without an invoice id") from exc
    row = await invoices_repo.get(session, event.tenantid, invoice_id)
    if row is None:
        raise PoisonEvent("invoice.issued for an invoice this tenant does not have")
    if row["status"] == "void":  # voided before its mail was written: the client gets nothing
        return
    await messages.side_effect(
        "invoice",
        lambda: messages.invoice_mail(
            session, event.tenantid, invoice_id, cause=issued_cause(invoice_id), now=clock.now()
        ),
    )
