"""Billing: what a run would bill (the dry run), a real run with live progress, invoices with their payments,
credit notes and voids, and the MRR movements."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from vcio_console.api import Calls, PageNotFound, Refused, as_uuid
from vcio_console.charts import movements_chart, twelve_months
from vcio_console.render import Ctx, render, templates
from vcio_console.signin import CheckedForm

router = APIRouter()
NAV = (60, "Billing", "/billing", "billing")
PAGE_SIZE = 50
STATUSES = ("draft", "issued", "paid", "void", "uncollectible")
POLL_SECONDS = 0.5  # how often the progress stream asks billing for the run
MAX_POLLS = 1200  # ten minutes of a run's progress; the page's own refresh link covers a longer one

Day = Annotated[dt.date | None, Query()]
Month = Annotated[str, Query(max_length=7, pattern=r"^([0-9]{4}-(0[1-9]|1[0-2]))?$")]
ClientFilter = Annotated[str, Query(max_length=36)]
StatusFilter = Annotated[str, Query(max_length=20, pattern=r"^(draft|issued|paid|void|uncollectible)?$")]
Cursor = Annotated[str, Query(max_length=200)]


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def new_key() -> str:
    """A form's Idempotency-Key, made when the form is rendered: a double submit is one write."""
    return str(uuid.uuid4())


def month_range(month: str) -> tuple[str, str]:
    """[first day of the month, first day of the next): the invoices whose period starts in it."""
    first = dt.date.fromisoformat(f"{month}-01")
    return first.isoformat(), (first + relativedelta(months=1)).isoformat()


def movement_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The movements, newest month first, each currency on its own row."""
    return sorted(items, key=lambda r: (r["month"], r["currency"]), reverse=True)


async def _preview(calls: Calls, as_of: dt.date) -> dict[str, Any]:
    """Billing's dry run on `as_of`: the invoices a real run would make, numbers included; nothing is written."""
    result = await calls.send("POST", "billing", "/v1/billing-runs", {"as_of": as_of.isoformat(), "dry_run": True})
    return result  # type: ignore[no-any-return]


async def _balance(calls: Calls, client_id: str) -> dict[str, Any] | None:
    """The client's balance per currency; None while billing has not billed the client."""
    try:
        return await calls.get("billing", f"/v1/clients/{client_id}/balance")  # type: ignore[no-any-return]
    except PageNotFound:
        return None


async def billing_data(
    calls: Calls,
    *,
    status: str = "",
    client: str = "",
    period: str = "",
    cursor: str = "",
    preview_as_of: dt.date | None = None,
) -> dict[str, Any]:
    """The billing page: recent runs, invoices as filtered (newest first), the movements, a preview if asked."""
    now = today()
    months = twelve_months(now)
    client_id = as_uuid(client) if client else None
    query: dict[str, Any] = {"order": "desc", "limit": PAGE_SIZE, "status": status or None, "client_id": client_id}
    if period:
        query["period_start_from"], query["period_start_before"] = month_range(period)
    if cursor:
        query["cursor"] = cursor
    runs, invoices, clients, movements, balance, preview = await asyncio.gather(
        calls.get("billing", "/v1/billing-runs", {"order": "desc", "limit": 10}),
        calls.get("billing", "/v1/invoices", query),
        # the client filter's choices (invoices name their own clients: `client_name`)
        calls.every("proposals", "/v1/clients"),
        calls.get("billing", "/v1/metrics/movements", {"from": f"{months[0]}-01", "to": now.isoformat()}),
        _balance(calls, client_id) if client_id else _none(),
        _preview(calls, preview_as_of) if preview_as_of else _none(),
    )
    currencies = sorted({row["currency"] for row in movements["items"]})
    return {
        "page": "billing",
        "today": now.isoformat(),
        "runs": runs["items"],
        "invoices": invoices["items"],
        "next_cursor": invoices["next_cursor"],
        "clients": {c["id"]: c for c in clients},
        "client_choices": sorted(clients, key=lambda c: (c["name"].casefold(), c["id"])),
        "filters": {"status": status, "client": client_id or "", "period": period},
        "statuses": STATUSES,
        "balance": balance,
        "movements": movement_rows(movements["items"]),
        "charts": [movements_chart(movements["items"], c, months) for c in currencies],
        "preview": preview,
        "preview_as_of": (preview_as_of or now).isoformat(),
        "run_form": {"as_of": now.isoformat(), "idempotency_key": new_key()},
        "run_error": None,
    }


async def _none() -> None:
    return None


@router.get("/billing", response_class=HTMLResponse)
async def billing_page(
    request: Request,
    ctx: Ctx,
    status: StatusFilter = "",
    client: ClientFilter = "",
    period: Month = "",
    cursor: Cursor = "",
    preview: Day = None,
) -> HTMLResponse:
    data = await billing_data(
        ctx.calls, status=status, client=client, period=period, cursor=cursor, preview_as_of=preview
    )
    return render(request, ctx, "billing.html", data)


@router.get("/billing/preview", response_class=HTMLResponse)
async def billing_preview(
    request: Request, ctx: Ctx, as_of: Annotated[dt.date, Query(alias="preview")]
) -> HTMLResponse:
    """The dry run's table alone (htmx puts it in #preview): the page's form, sent to /billing?preview= without
    scripts. Its invoices name their clients."""
    data = {"preview": await _preview(ctx.calls, as_of), "preview_as_of": as_of.isoformat()}
    return render(request, ctx, "billing_preview.html", data)


@router.post("/billing/runs")
async def start_run(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    """A real run, in the background: then its page, where the progress streams in."""
    body = {"as_of": form.get("as_of", ""), "background": True}
    try:
        run = await ctx.calls.send(
            "POST", "billing", "/v1/billing-runs", body, idempotency_key=form.get("idempotency_key") or None
        )
    except Refused as exc:
        data = await billing_data(ctx.calls)
        data["run_form"] = {"as_of": body["as_of"], "idempotency_key": new_key()}
        data["run_error"] = str(exc)
        return render(request, ctx, "billing.html", data, status=exc.status)
    return RedirectResponse(f"/billing/runs/{run['id']}", status_code=303)


@router.get("/billing/runs/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, ctx: Ctx, run_id: str) -> HTMLResponse:
    rid = as_uuid(run_id)
    run = await ctx.calls.get("billing", f"/v1/billing-runs/{rid}")
    invoices: list[dict[str, Any]] = []
    if run["status"] != "running":
        invoices = await ctx.calls.every("billing", "/v1/invoices", {"run_id": rid})
    invoices.sort(key=lambda i: (i["number"] or "", i["period_start"], i["id"]))
    data = {"page": "billing", "run": run, "invoices": invoices}
    return render(request, ctx, "billing_run.html", data)


def sse(event: str, html: str) -> str:
    """One server-sent event whose data is an HTML fragment (each of its lines a `data:` line)."""
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in html.splitlines()) + "\n"


async def progress_events(request: Request, calls: Calls, run: dict[str, Any]) -> AsyncIterator[str]:
    """The run's progress panel each time it changes, polled from billing; `done` once it is no longer running."""
    template = templates.get_template("billing_run_progress.html")
    shown = None
    for _ in range(MAX_POLLS):
        html = template.render(run=run)
        if run["status"] != "running":
            yield sse("done", html)
            return
        if html != shown:
            yield sse("progress", html)
            shown = html
        else:
            yield ": waiting\n\n"  # a comment: keeps proxies from closing a quiet stream
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)
        run = await calls.get("billing", f"/v1/billing-runs/{run['id']}")


@router.get("/billing/runs/{run_id}/events")
async def run_events(request: Request, ctx: Ctx, run_id: str) -> StreamingResponse:
    """Server-sent events of the run's progress (static/billing.js shows them)."""
    run = await ctx.calls.get("billing", f"/v1/billing-runs/{as_uuid(run_id)}")  # 404 before the stream starts
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(progress_events(request, ctx.calls, run), media_type="text/event-stream", headers=headers)


# ---- one invoice: payments, credit notes, void ------------------------------------------------------------


async def invoice_data(calls: Calls, invoice_id: str) -> dict[str, Any]:
    invoice = await calls.get("billing", f"/v1/invoices/{invoice_id}")
    notes, balance = await asyncio.gather(
        calls.every("billing", "/v1/credit-notes", {"invoice_id": invoice_id}),
        _balance(calls, invoice["client_id"]),
    )
    return {
        "page": "billing",
        "invoice": invoice,
        "credit_notes": sorted(notes, key=lambda n: (n["issue_date"], n["number"])),
        # the invoice names its client (null while billing has not heard of it: then its id)
        "client": {"id": invoice["client_id"], "name": invoice["client_name"] or invoice["client_id"]},
        "balance": balance,
        "keys": {"payment": new_key(), "credit": new_key(), "void": new_key(), "issue": new_key()},
        "values": {"payment": {"amount": invoice["amount_due"], "paid_on": today().isoformat(), "reference": ""}},
        "errors": {},
    }


@router.get("/billing/invoices/{invoice_id}", response_class=HTMLResponse)
async def invoice_page(request: Request, ctx: Ctx, invoice_id: str) -> HTMLResponse:
    return render(request, ctx, "billing_invoice.html", await invoice_data(ctx.calls, as_uuid(invoice_id)))


async def _invoice_write(
    request: Request, ctx: Ctx, invoice_id: str, form: dict[str, str], which: str, path: str, body: Any
) -> Response:
    """Send one write on the invoice; 303 back to it, or the page again with the service's refusal by the form."""
    iid = as_uuid(invoice_id)
    try:
        await ctx.calls.send(
            "POST", "billing", f"/v1/invoices/{iid}/{path}", body, idempotency_key=form.get("idempotency_key") or None
        )
    except Refused as exc:
        data = await invoice_data(ctx.calls, iid)
        data["errors"] = {which: str(exc)}
        data["values"] = {**data["values"], which: form}
        return render(request, ctx, "billing_invoice.html", data, status=exc.status)
    return RedirectResponse(f"/billing/invoices/{iid}", status_code=303)


def paid_at(day: str) -> str:
    """A payment's day as the instant billing takes: noon UTC, the same calendar day from UTC-11 to UTC+11."""
    return f"{day}T12:00:00+00:00" if day else ""


@router.post("/billing/invoices/{invoice_id}/payments")
async def record_payment(request: Request, ctx: Ctx, invoice_id: str, form: CheckedForm) -> Response:
    body = {
        "amount": form.get("amount", "").strip(),
        "paid_at": paid_at(form.get("paid_on", "").strip()),
        "reference": form.get("reference", "").strip(),
    }
    return await _invoice_write(request, ctx, invoice_id, form, "payment", "payments", body)


@router.post("/billing/invoices/{invoice_id}/credit-notes")
async def credit_note(request: Request, ctx: Ctx, invoice_id: str, form: CheckedForm) -> Response:
    body = {"amount": form.get("amount", "").strip(), "reason": form.get("reason", "").strip()}
    return await _invoice_write(request, ctx, invoice_id, form, "credit", "credit-notes", body)


@router.post("/billing/invoices/{invoice_id}/issue")
async def issue_draft(request: Request, ctx: Ctx, invoice_id: str, form: CheckedForm) -> Response:
    """A draft (the tenant reviews drafts) gets its number, issue date and due date."""
    return await _invoice_write(request, ctx, invoice_id, form, "issue", "issue", None)


@router.post("/billing/invoices/{invoice_id}/void")
async def void_invoice(request: Request, ctx: Ctx, invoice_id: str, form: CheckedForm) -> Response:
    return await _invoice_write(request, ctx, invoice_id, form, "void", "void", None)
