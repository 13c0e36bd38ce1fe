"""Invoice HTML (Jinja2) and PDF (WeasyPrint), with the value delivered in the previous period."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as agreements_repo
from billing.deliveries import repository as deliveries_repo
from billing.invoices import repository as invoices_repo
from billing.invoices import service
from billing.invoices.views import invoice_out
from billing.runs import engine
from billing.tenants import repository as tenants_repo
from vcio_shared.db import Reader
from vcio_shared.errors import found

_env = Environment(loader=PackageLoader("billing", "templates"), autoescape=select_autoescape(["html"]))


def _as_date(value: str | dt.date) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def human_date(value: str | dt.date | None) -> str:
    """A date as people read it: 1 January 2027."""
    if value is None:
        return ""
    d = _as_date(value)
    return f"{d.day} {d:%B} {d.year}"


def last_day(end_exclusive: str | dt.date) -> str:
    """The inclusive last day of a half-open period [start, end): people see 31 January, not 1 February."""
    return human_date(_as_date(end_exclusive) - dt.timedelta(days=1))


_env.filters["human_date"] = human_date
_env.filters["last_day"] = last_day


async def delivered_before(session: AsyncSession, tenant_id: str, invoice: dict[str, Any]) -> dict[str, Any]:
    """The activities completed for the client in the period before the invoice's own."""
    agreement = await agreements_repo.get(session, tenant_id, uuid.UUID(invoice["agreement_id"]))
    start = dt.date.fromisoformat(invoice["period_start"])
    cycle = agreement["billing_cycle"] if agreement else "monthly"
    prev_start = engine.calendar_period(start - dt.timedelta(days=1), cycle)[0]
    rows = await deliveries_repo.for_client(session, tenant_id, uuid.UUID(invoice["client_id"]), prev_start, start)
    return delivered_out(prev_start, start, rows)


def delivered_out(prev_start: dt.date, start: dt.date, rows: Sequence[Mapping[Any, Any]]) -> dict[str, Any]:
    return {
        "from": prev_start.isoformat(),
        "to": start.isoformat(),
        "activities": [
            {
                "id": str(r["id"]),
                "name": r["name"],
                "category": r["category"],
                "billing_mode": r["billing_mode"],
                "role": r["role"],
                "completed_on": r["completed_on"].isoformat(),
                "outcome": r["outcome"],
                "hours_spent": r["hours_spent"],
            }
            for r in rows
        ],
    }


async def invoice_json(reader: Reader, tenant_id: str, invoice_id: uuid.UUID) -> bytes:
    """GET /v1/invoices/{id} as JSON bytes, from one statement: the same document as `get_invoice` plus
    `delivered_before`, which the HTML and PDF use."""
    row = found(await invoices_repo.fetch_view(reader, tenant_id, invoice_id), "no such invoice")
    out = invoice_out(row, row["lines"], named=True)
    out["value_delivered"] = delivered_out(row["prev_start"], row["period_start"], row["delivered"])
    return orjson.dumps(out)


async def context(session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID) -> dict[str, Any]:
    """What the invoice document (and its e-mail) is rendered from: the invoice, the value delivered before it,
    its client and agreement, and the seller."""
    invoice = await service.get_invoice(session, tenant_id, invoice_id)
    delivered = await delivered_before(session, tenant_id, invoice)
    agreement = await agreements_repo.get(session, tenant_id, uuid.UUID(invoice["agreement_id"]))
    client = await agreements_repo.get_client(session, tenant_id, uuid.UUID(invoice["client_id"]))
    # the seller, from proposals' msp_profile.updated; until one arrives, the tenant id names it (as proposals does)
    seller = await tenants_repo.get_msp_profile(session, tenant_id) or {"name": tenant_id}
    return {"invoice": invoice, "delivered": delivered, "client": client, "agreement": agreement, "seller": seller}


def page(ctx: Mapping[str, Any]) -> str:
    """The invoice document's HTML from its `context`."""
    return _env.get_template("invoice.html").render(**ctx)


async def html(session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID) -> str:
    return page(await context(session, tenant_id, invoice_id))


def pdf_of(document: str) -> bytes:
    """The PDF of an invoice document's HTML (WeasyPrint: a few tenths of a second, CPU-bound)."""
    from weasyprint import HTML

    return HTML(string=document).write_pdf()  # type: ignore[no-any-return]


async def pdf(session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID) -> bytes:
    return await asyncio.to_thread(pdf_of, await html(session, tenant_id, invoice_id))
