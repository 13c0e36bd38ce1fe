"""Clients: the list (by page, or found by name or e-mail), and one client's page with everything the practice holds."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from vcio_console.api import Calls, PageNotFound, as_uuid
from vcio_console.render import Ctx, render

router = APIRouter()
NAV = (20, "Clients", "/clients", "clients")
PAGE_SIZE = 50


@router.get("/clients", response_class=HTMLResponse)
async def client_list(
    request: Request,
    ctx: Ctx,
    q: Annotated[str, Query(max_length=200)] = "",
    email: Annotated[str, Query(max_length=254)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Every client by page, or those whose name or e-mail holds `q` (any case: proposals' `?q=`); `email=` (a
    link's exact address) still filters as proposals' `?email=` does."""
    params = {"limit": PAGE_SIZE, "q": q.strip() or None, "email": email.strip() or None, "cursor": cursor or None}
    page = await ctx.calls.get("proposals", "/v1/clients", params)
    data = {
        "page": "clients",
        "clients": page["items"],
        "next_cursor": page["next_cursor"],
        "q": q.strip(),
        "email": email,
    }
    return render(request, ctx, "clients.html", data)


def timeline(activities: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The delivery plan by month of due date, each activity with its state: done, skipped, overdue, upcoming."""
    months: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(activities, key=lambda a: (a["due_date"], a["name"])):
        if a["status"] == "cancelled":
            continue
        state = {"completed": "done", "skipped": "skipped"}.get(a["status"]) or (
            "overdue" if a["overdue"] else "upcoming"
        )
        months[a["due_date"][:7]].append({**a, "state": state})
    return sorted(months.items())


def plan_counts(months: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, int]:
    counts = {"done": 0, "overdue": 0, "upcoming": 0, "skipped": 0}
    for _, items in months:
        for a in items:
            counts[a["state"]] += 1
    return counts


def balances(invoices: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """What the client owes per currency: the amount due of every issued (unpaid or part-paid) invoice."""
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for inv in invoices:  # x * 0 keeps the currency's digits: "0.00", not "0"
        due = Decimal(inv["amount_due"])
        owed[inv["currency"]] += due if inv["status"] == "issued" else due * 0
    return [(cur, str(amount)) for cur, amount in sorted(owed.items())]


def this_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """[first day of today's quarter, first day of the next): the delivery report's default period."""
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return start, start + relativedelta(months=3)


def _period(report_from: dt.date | None, report_to: dt.date | None) -> dict[str, str]:
    """The report's period as the scheduler takes it (`to` exclusive); this quarter unless both are given."""
    start, end = this_quarter(dt.datetime.now(dt.UTC).date())
    return {"from": (report_from or start).isoformat(), "to": (report_to or end).isoformat()}


ReportDay = Annotated[dt.date | None, Query()]


async def _report(calls: Calls, client_id: str, period: dict[str, str]) -> dict[str, Any] | None:
    """The delivery report; None while the scheduler has no plan for the client (it knows clients by plans)."""
    try:
        return await calls.get("scheduler", f"/v1/reports/delivery/{client_id}", period)  # type: ignore[no-any-return]
    except PageNotFound:
        return None


@router.get("/clients/{client_id}", response_class=HTMLResponse)
async def client_page(
    request: Request, ctx: Ctx, client_id: str, report_from: ReportDay = None, report_to: ReportDay = None
) -> HTMLResponse:
    cid = as_uuid(client_id)
    client = await ctx.calls.get("proposals", f"/v1/clients/{cid}")  # 404 for another tenant's client
    by_client = {"client_id": cid}
    period = _period(report_from, report_to)
    proposals, agreements, activities, invoices, report = await asyncio.gather(
        ctx.calls.every("proposals", "/v1/proposals", by_client),
        ctx.calls.every("billing", "/v1/agreements", by_client),
        ctx.calls.every("scheduler", "/v1/activities", by_client),
        ctx.calls.every("billing", "/v1/invoices", by_client),
        _report(ctx.calls, cid, period),
    )
    months = timeline(activities)
    data = {
        "page": "clients",
        "client": client,
        "proposals": sorted(proposals, key=lambda p: (p["created_at"], p["id"]), reverse=True),
        "agreements": sorted(agreements, key=lambda a: (a["start_date"], a["id"]), reverse=True),
        "timeline": months,
        "plan_counts": plan_counts(months),
        "invoices": sorted(invoices, key=lambda i: (i["period_start"], i["number"] or ""), reverse=True),
        "balances": balances(invoices),
        "today": dt.datetime.now(dt.UTC).date().isoformat(),
        "report": report,
        "period": period,
    }
    return render(request, ctx, "client.html", data)


@router.get("/clients/{client_id}/delivery-report.pdf")
async def delivery_report_pdf(
    ctx: Ctx, client_id: str, report_from: ReportDay = None, report_to: ReportDay = None
) -> Response:
    """The scheduler's delivery report PDF, fetched with the user's token (a link cannot carry it)."""
    period = _period(report_from, report_to)
    pdf = await ctx.calls.pdf("scheduler", f"/v1/reports/delivery/{as_uuid(client_id)}", {**period, "format": "pdf"})
    filename = f"delivery-{period['from']}-{period['to']}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{filename}"'}
    )


@router.get("/invoices/{invoice_id}.pdf")
async def invoice_pdf(ctx: Ctx, invoice_id: str) -> Response:
    """Billing's invoice PDF, fetched with the user's token; another tenant's invoice is a 404."""
    pdf = await ctx.calls.pdf("billing", f"/v1/invoices/{as_uuid(invoice_id)}/pdf")
    return Response(pdf, media_type="application/pdf", headers={"content-disposition": "inline"})
