"""Clients: the list (by page, or found by e-mail), and one client's page with everything the practice holds."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from vcio_console.api import as_uuid
from vcio_console.render import Ctx, render

router = APIRouter()
PAGE_SIZE = 50


@router.get("/clients", response_class=HTMLResponse)
async def client_list(
    request: Request,
    ctx: Ctx,
    email: Annotated[str, Query(max_length=254)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    # API gap: proposals' GET /v1/clients filters by exact e-mail only; a name search needs `?q=` there.
    page = await ctx.calls.get(
        "proposals",
        "/v1/clients",
        {"limit": PAGE_SIZE, "email": email.strip() or None, "cursor": cursor or None},
    )
    data = {"page": "clients", "clients": page["items"], "next_cursor": page["next_cursor"], "email": email}
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


@router.get("/clients/{client_id}", response_class=HTMLResponse)
async def client_page(request: Request, ctx: Ctx, client_id: str) -> HTMLResponse:
    cid = as_uuid(client_id)
    client = await ctx.calls.get("proposals", f"/v1/clients/{cid}")  # 404 for another tenant's client
    by_client = {"client_id": cid}
    proposals, agreements, activities, invoices = await asyncio.gather(
        ctx.calls.every("proposals", "/v1/proposals", by_client),
        ctx.calls.every("billing", "/v1/agreements", by_client),
        ctx.calls.every("scheduler", "/v1/activities", by_client),
        ctx.calls.every("billing", "/v1/invoices", by_client),
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
    }
    return render(request, ctx, "client.html", data)
