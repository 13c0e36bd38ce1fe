"""The dashboard: recurring revenue, its movements, renewals, overdue work, this week's work, the last run."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from vcio_console.api import Calls
from vcio_console.charts import movements_chart, twelve_months
from vcio_console.render import Ctx, render

router = APIRouter()
NAV = (10, "Dashboard", "/", "dashboard")
RENEWAL_WINDOW = dt.timedelta(days=90)


def renewals_due(agreements: list[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """Active agreements whose term ends within 90 days, soonest first.

    API gap: billing has no `ends_before` filter on GET /v1/agreements, so this reads every active agreement."""
    last = today + RENEWAL_WINDOW
    due = [a for a in agreements if today <= dt.date.fromisoformat(a["end_date"]) <= last]
    return sorted(due, key=lambda a: (a["end_date"], a["id"]))


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


async def dashboard_data(calls: Calls, today: dt.date) -> dict[str, Any]:
    """Everything the dashboard shows, read from billing and the scheduler at once."""
    months = twelve_months(today)
    monday = today - dt.timedelta(days=today.weekday())
    mrr, movements, agreements, overdue, week, staff, runs, clients = await asyncio.gather(
        calls.get("billing", "/v1/metrics/mrr", {"as_of": today.isoformat()}),
        calls.get("billing", "/v1/metrics/movements", {"from": f"{months[0]}-01", "to": today.isoformat()}),
        calls.every("billing", "/v1/agreements", {"status": "active"}),
        calls.every("scheduler", "/v1/activities", {"overdue": "true"}),
        calls.every(
            "scheduler",
            "/v1/activities",
            {"due_from": monday.isoformat(), "due_to": (monday + dt.timedelta(days=6)).isoformat()},
        ),
        calls.every("scheduler", "/v1/staff"),
        # API gap: runs list oldest first with no ?order=, so the last run is on the last page.
        calls.every("billing", "/v1/billing-runs"),
        # API gap: no batch read of clients by id (nor client names on agreements and activities): one list
        # of every client, read beside the rest, costs less than a GET per client named on the page.
        calls.every("proposals", "/v1/clients"),
    )
    renewals = renewals_due(agreements, today)
    overdue = sorted(overdue, key=lambda a: (a["due_date"], a["name"]))
    currencies = sorted({row["currency"] for row in [*mrr["items"], *movements["items"]]})
    return {
        "page": "dashboard",
        "today": today,
        "week": (monday, monday + dt.timedelta(days=6)),
        "mrr": mrr["items"],
        "charts": [movements_chart(movements["items"], c, months) for c in currencies],
        "renewals": renewals,
        "overdue": overdue,
        "by_consultant": by_consultant(week, {s["id"]: s for s in staff}),
        "last_run": runs[-1] if runs else None,
        "clients": {c["id"]: c for c in clients},
    }


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, ctx: Ctx) -> HTMLResponse:
    data = await dashboard_data(ctx.calls, dt.datetime.now(dt.UTC).date())
    return render(request, ctx, "dashboard.html", data)
