"""The dashboard: recurring revenue, its movements, renewals, overdue work, this week's work, the last run."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from vcio_console.api import MAX_PAGE, Calls
from vcio_console.charts import movements_chart, twelve_months
from vcio_console.render import Ctx, render

router = APIRouter()
NAV = (10, "Dashboard", "/", "dashboard")
RENEWAL_WINDOW = dt.timedelta(days=91)  # ends on or after today, before this: 90 days on at the latest


def renewals_due(agreements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The active agreements billing found ending in the window, soonest first."""
    return sorted(agreements, key=lambda a: (a["end_date"], a["id"]))


def by_consultant(
    activities: list[dict[str, Any]], staff: dict[str, dict[str, Any]]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """This week's activities grouped by assignee name (unassigned last), each group by due date."""
    groups: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for a in activities:
        if a["status"] != "cancelled":
            groups[a["assignee_id"]].append(a)
    named = sorted(
        ((staff[k]["name"] if k in staff else "Unknown staff member", v) for k, v in groups.items() if k),
        key=lambda g: g[0],
    )
    if None in groups:
        named.append(("Unassigned", groups[None]))
    return [(name, sorted(items, key=lambda a: (a["due_date"], a["name"]))) for name, items in named]


async def client_names(calls: Calls, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The clients the activities name, read by id (at most 200 a call, the calls side by side; none if none)."""
    wanted = sorted(ids)
    chunks = [wanted[i : i + MAX_PAGE] for i in range(0, len(wanted), MAX_PAGE)]
    pages = await asyncio.gather(
        *(calls.get("proposals", "/v1/clients", {"ids": ",".join(c), "limit": MAX_PAGE}) for c in chunks)
    )
    return {c["id"]: c for page in pages for c in page["items"]}


async def dashboard_data(calls: Calls, today: dt.date) -> dict[str, Any]:
    """Everything the dashboard shows, read from billing and the scheduler at once, then the clients the
    activities name (billing's agreements name their own: `client_name`)."""
    months = twelve_months(today)
    monday = today - dt.timedelta(days=today.weekday())
    window = {"status": "active", "ends_after": today.isoformat(), "ends_before": (today + RENEWAL_WINDOW).isoformat()}
    mrr, movements, renewals, overdue, week, staff, runs = await asyncio.gather(
        calls.get("billing", "/v1/metrics/mrr", {"as_of": today.isoformat()}),
        calls.get("billing", "/v1/metrics/movements", {"from": f"{months[0]}-01", "to": today.isoformat()}),
        calls.every("billing", "/v1/agreements", window),
        calls.every("scheduler", "/v1/activities", {"overdue": "true"}),
        calls.every(
            "scheduler",
            "/v1/activities",
            {"due_from": monday.isoformat(), "due_to": (monday + dt.timedelta(days=6)).isoformat()},
        ),
        calls.every("scheduler", "/v1/staff"),
        calls.get("billing", "/v1/billing-runs", {"order": "desc", "limit": 1}),
    )
    # API gap: the scheduler's activities carry no client name (it keeps no clients of its own, only a name per
    # agreement as activated), so the clients they name are a second round trip (one batch read by id).
    clients = await client_names(calls, {x["client_id"] for x in [*overdue, *week]})
    overdue = sorted(overdue, key=lambda a: (a["due_date"], a["name"]))
    currencies = sorted({row["currency"] for row in [*mrr["items"], *movements["items"]]})
    return {
        "page": "dashboard",
        "today": today,
        "week": (monday, monday + dt.timedelta(days=6)),
        "mrr": mrr["items"],
        "charts": [movements_chart(movements["items"], c, months) for c in currencies],
        "renewals": renewals_due(renewals),
        "overdue": overdue,
        "by_consultant": by_consultant(week, {s["id"]: s for s in staff}),
        "last_run": (runs["items"] or [None])[0],
        "clients": clients,
    }


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, ctx: Ctx) -> HTMLResponse:
    data = await dashboard_data(ctx.calls, dt.datetime.now(dt.UTC).date())
    return render(request, ctx, "dashboard.html", data)
