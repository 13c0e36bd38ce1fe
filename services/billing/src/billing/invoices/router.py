"""Invoice and credit-note routes (thin)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.types import Scope

from billing.dates import Day
from billing.deps import Listing, Once, Reader, Reading, Writing
from billing.invoices import render, service
from billing.invoices.schemas import (
    BalanceOut,
    CreditNoteCreate,
    CreditNoteOut,
    InvoiceDetailOut,
    InvoiceOut,
    InvoiceSendOut,
    PaymentRequest,
)
from vcio_shared.auth import bearer_principal
from vcio_shared.db import reader_of
from vcio_shared.errors import NotFound
from vcio_shared.http import HotRead
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page

router = APIRouter(tags=["invoices"])
Status = Literal["draft", "issued", "paid", "void", "uncollectible"]


@router.get("/v1/invoices", response_model=Page[InvoiceOut])
async def list_invoices(
    ls: Listing,
    agreement_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    status: Annotated[Status | None, Query()] = None,
    run_id: uuid.UUID | None = None,
    period_start_from: Annotated[Day | None, Query(description="period_start on or after this day")] = None,
    period_start_before: Annotated[Day | None, Query(description="period_start before this day")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="asc: as made; desc: newest first")] = "asc",
) -> dict[str, Any]:
    filters: dict[str, Any] = {"agreement_id": agreement_id, "client_id": client_id, "status": status}
    filters.update(run_id=run_id, period_start_from=period_start_from, period_start_before=period_start_before)
    return await service.list_invoices(
        ls.session, ls.principal.tenant_id, ls.page, newest_first=order == "desc", **filters
    )


@router.get("/v1/invoices/{invoice_id}", response_model=InvoiceDetailOut)
async def get_invoice(invoice_id: uuid.UUID, principal: Reader, request: Request) -> Any:
    """The invoice with its lines and the value delivered in the period before it. The API's hottest read: a
    plain request is answered by `hot_get_invoice` before it gets here, with the same bytes (a test holds
    them equal); this route answers the rest (errors, query strings) through the model."""
    return orjson.loads(await render.invoice_json(reader_of(request), principal.tenant_id, invoice_id))


_INVOICE_PATH = re.compile(
    r"/v1/invoices/(?P<invoice_id>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
)


async def hot_get_invoice(scope: Scope, headers: dict[bytes, bytes], match: re.Match[str]) -> bytes | None:
    """`get_invoice`, answered before FastAPI's router (`vcio_shared.http.HotRead`): the same bytes when the
    token, its scope and the invoice are all in order; otherwise None, and the route answers (and says why)."""
    runtime = scope["app"].state.runtime
    principal = bearer_principal(runtime.verifier, headers.get(b"authorization", b"").decode("latin-1"), "billing:read")
    if principal is None:
        return None
    try:
        return await render.invoice_json(runtime.reader, principal.tenant_id, uuid.UUID(match["invoice_id"]))
    except NotFound:
        return None


HOT_READS = [HotRead("/v1/invoices/{invoice_id}", _INVOICE_PATH, hot_get_invoice)]


@router.get("/v1/invoices/{invoice_id}/html", response_class=HTMLResponse)
async def invoice_html(invoice_id: uuid.UUID, r: Reading) -> HTMLResponse:
    return HTMLResponse(await render.html(r.session, r.principal.tenant_id, invoice_id))


@router.get("/v1/invoices/{invoice_id}/pdf", response_class=Response)
async def invoice_pdf(invoice_id: uuid.UUID, r: Reading) -> Response:
    return Response(await render.pdf(r.session, r.principal.tenant_id, invoice_id), media_type="application/pdf")


@router.post("/v1/invoices/{invoice_id}/issue", response_model=InvoiceOut)
async def issue_invoice(invoice_id: uuid.UUID, w: Writing) -> dict[str, Any]:
    return await service.approve(w.session, w.principal, invoice_id, w.clock.today(), w.clock.now())


@router.post("/v1/invoices/{invoice_id}/payments", status_code=201, response_model=InvoiceOut)
async def pay_invoice(invoice_id: uuid.UUID, body: PaymentRequest, w: Once) -> Any:
    return await w.once(
        lambda: service.record_payment(
            w.session, w.principal, invoice_id, body.amount, body.paid_at, body.reference, w.clock.now()
        )
    )


@router.post("/v1/invoices/{invoice_id}/send", status_code=202, response_model=InvoiceSendOut)
async def send_invoice(invoice_id: uuid.UUID, w: Once) -> Any:
    """Mail the invoice (PDF attached) to its client again. Each request is a new message; a retry with the same
    Idempotency-Key answers the first answer and sends nothing more. 409 for a draft or a void invoice."""
    return await w.once(lambda: service.send_again(w.session, w.principal, invoice_id, w.clock.now()), status_code=202)


@router.post("/v1/invoices/{invoice_id}/void", response_model=InvoiceOut)
async def void_invoice(invoice_id: uuid.UUID, w: Writing) -> dict[str, Any]:
    return await service.void(w.session, w.principal, invoice_id, w.clock.now())


@router.post("/v1/invoices/{invoice_id}/mark-uncollectible", response_model=InvoiceOut)
async def uncollectible(invoice_id: uuid.UUID, w: Writing) -> dict[str, Any]:
    return await service.mark_uncollectible(w.session, w.principal, invoice_id)


@router.post("/v1/invoices/{invoice_id}/credit-notes", status_code=201, response_model=CreditNoteOut)
async def credit_invoice(invoice_id: uuid.UUID, body: CreditNoteCreate, w: Once) -> Any:
    return await w.once(
        lambda: service.manual_credit(
            w.session, w.principal, invoice_id, body.amount, body.reason, w.clock.today(), w.clock.now()
        )
    )


@router.get("/v1/credit-notes", response_model=Page[CreditNoteOut])
async def list_credit_notes(
    ls: Listing,
    invoice_id: uuid.UUID | None = None,
    agreement_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    filters = {"invoice_id": invoice_id, "agreement_id": agreement_id}
    return await service.list_credit_notes(ls.session, ls.principal.tenant_id, ls.page, **filters)


@router.get("/v1/credit-notes/{credit_note_id}", response_model=CreditNoteOut)
async def get_credit_note(credit_note_id: uuid.UUID, r: Reading) -> dict[str, Any]:
    return await service.get_credit_note(r.session, r.principal.tenant_id, credit_note_id)


@router.get("/v1/clients/{client_id}/balance", response_model=BalanceOut)
async def client_balance(
    client_id: uuid.UUID, r: Reading, clock: ClockDep, as_of: Annotated[Day | None, Query()] = None
) -> dict[str, Any]:
    """What the client owes, per currency: invoiced, paid, credited, refund due, balance due, overdue."""
    return await service.client_balance(r.session, r.principal.tenant_id, client_id, as_of, clock.now())
