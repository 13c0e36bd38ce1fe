"""Delivery: the signed-in person's activities (complete with outcome and hours, or skip with a reason), the
workload of every consultant by month against capacity as a heat-map, and a calendar subscribe link. Everything
comes from the scheduler's API; client names from one batch read of proposals' clients."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vcio_console.api import MAX_PAGE, Calls, Refused, as_uuid
from vcio_console.render import Ctx, render
from vcio_console.signin import CheckedForm, User

router = APIRouter()
NAV = (50, "Delivery", "/delivery", "delivery")
MONTHS = 6  # the heat-map's columns
LOOK_BACK = dt.timedelta(days=90)  # "done lately": closed in the last 90 days
LOOK_AHEAD = dt.timedelta(days=90)
OPEN = ("planned", "scheduled")
UNASSIGNED = "unassigned"  # ?staff= for the work nobody has (planned while its role had no staff)
_MONTH = re.compile(r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def me_of(staff: list[dict[str, Any]], user: User) -> dict[str, Any] | None:
    """The staff record of the signed-in user: its e-mail (any case) or id is the token's `sub`. None if none is."""
    sub = user.principal.sub.strip().casefold()
    for member in staff:
        if sub and (sub == (member["email"] or "").casefold() or sub == str(member["id"])):
            return member
    return None


def heat(utilisation: str | None, overbooked: bool) -> str:
    """The heat-map class of a month's cell: none (nothing booked, or no capacity), light (< 50 %), busy (50–80 %),
    full (80–100 %), over."""
    if overbooked:
        return "over"
    if utilisation is None or Decimal(utilisation) == 0:
        return "none"
    u = Decimal(utilisation)
    return "light" if u < 50 else "busy" if u < 80 else "full"


def workload(rows: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The capacity report as a table: the months, then one row per person with a cell per month."""
    months = sorted({r["period_start"][:7] for r in rows})
    people: dict[str, dict[str, Any]] = {}
    for r in rows:
        person = people.setdefault(r["staff_id"], {"id": r["staff_id"], "name": r["name"], "roles": r["roles"]})
        person.setdefault("cells", {})[r["period_start"][:7]] = {
            **r,
            "heat": heat(r["utilisation_percent"], r["overbooked"]),
        }
    ordered = sorted(people.values(), key=lambda p: (p["name"].casefold(), p["id"]))
    return months, [{**p, "cells": [p["cells"].get(m) for m in months]} for p in ordered]


async def client_names(calls: Calls, ids: set[str]) -> dict[str, str]:
    """Names of the clients by id: proposals' batch read, 200 at a time."""
    wanted = sorted(ids)
    names: dict[str, str] = {}
    for i in range(0, len(wanted), MAX_PAGE):
        params = {"ids": ",".join(wanted[i : i + MAX_PAGE]), "limit": MAX_PAGE}
        names.update({c["id"]: c["name"] for c in (await calls.get("proposals", "/v1/clients", params))["items"]})
    return names


def first_month(value: str, now: dt.date) -> dt.date:
    """The heat-map's first month: `YYYY-MM` as given, else this month."""
    if _MONTH.match(value):
        return dt.date(int(value[:4]), int(value[5:]), 1)
    return now.replace(day=1)


async def _page(
    request: Request,
    ctx: Ctx,
    staff_id: str,
    month: str,
    *,
    error: str | None = None,
    failed: str | None = None,
    typed: dict[str, str] | None = None,
    subscribed: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = today()
    staff = await ctx.calls.every("scheduler", "/v1/staff", {"active": "true"})
    mine = me_of(staff, ctx.user)
    unassigned = staff_id == UNASSIGNED
    chosen = next((m for m in staff if str(m["id"]) == staff_id), None) if staff_id else None
    member = None if unassigned else chosen or mine
    start = first_month(month, now)
    capacity_params = {"from": start.isoformat(), "to": (start + relativedelta(months=MONTHS)).isoformat()}
    whose = {"assigned": "false"} if unassigned else {"assignee_id": member["id"]} if member else None
    capacity, activities = await asyncio.gather(
        ctx.calls.get("scheduler", "/v1/capacity", {**capacity_params, "period": "month"}),
        ctx.calls.every("scheduler", "/v1/activities", {**whose, "due_to": (now + LOOK_AHEAD).isoformat()})
        if whose
        else asyncio.sleep(0, []),
    )
    # open work however old (it is overdue), work closed (done or skipped) in the last 90 days
    since = (now - LOOK_BACK).isoformat()
    shown = [a for a in activities if a["status"] in OPEN or (a["status"] != "cancelled" and a["updated_at"] >= since)]
    names = await client_names(ctx.calls, {a["client_id"] for a in shown}) if shown else {}
    by_due = sorted(shown, key=lambda a: (a["due_date"], a["name"], a["id"]))
    months, people = workload(capacity["items"])
    counts: dict[str, int] = defaultdict(int)
    for a in by_due:
        counts["overdue" if a["status"] in OPEN and a["overdue"] else a["status"]] += 1
    data = {
        "page": "delivery",
        "staff": sorted(staff, key=lambda m: (m["name"].casefold(), m["id"])),
        "member": member,
        "unassigned": unassigned,
        "shown_staff": UNASSIGNED if unassigned else member["id"] if member else "",
        "mapped": mine is not None and member is mine,
        "open": [a for a in by_due if a["status"] in OPEN],
        "closed": sorted((a for a in by_due if a["status"] not in OPEN), key=lambda a: a["updated_at"], reverse=True),
        "names": names,
        "counts": counts,
        "months": months,
        "people": people,
        "month": start.strftime("%Y-%m"),
        "earlier": (start - relativedelta(months=MONTHS)).strftime("%Y-%m"),
        "later": (start + relativedelta(months=MONTHS)).strftime("%Y-%m"),
        "today": now.isoformat(),
        "error": error,
        "failed": failed,
        "typed": typed or {},
        "subscribed": subscribed,
        "calendar_key": str(uuid.uuid4()),
    }
    return render(request, ctx, "delivery.html", data, status=status)


@router.get("/delivery", response_class=HTMLResponse)
async def delivery(
    request: Request,
    ctx: Ctx,
    staff: Annotated[str, Query(max_length=36)] = "",
    month: Annotated[str, Query(alias="from", max_length=7)] = "",
) -> HTMLResponse:
    return await _page(request, ctx, as_uuid(staff) if staff and staff != UNASSIGNED else staff, month)


def _back(form: dict[str, str]) -> str:
    """Where a form returns: the page as it was shown (the person picked, the heat-map's months)."""
    staff = form.get("staff", "")
    month = form.get("from", "")
    query = "&".join(
        f"{k}={v}" for k, v in (("staff", staff), ("from", month)) if v and (k != "from" or _MONTH.match(v))
    )
    if staff and staff != UNASSIGNED:
        as_uuid(staff)
    return "/delivery" + (f"?{query}" if query else "")


async def _act(
    request: Request, ctx: Ctx, activity_id: str, form: dict[str, str], action: str, body: dict[str, Any]
) -> Response:
    aid = as_uuid(activity_id)
    back = _back(form)
    try:
        await ctx.calls.send("POST", "scheduler", f"/v1/activities/{aid}/{action}", body)
    except Refused as exc:
        typed = {k: v for k, v in form.items() if k in ("outcome", "hours_spent", "reason")}
        return await _page(
            request,
            ctx,
            form.get("staff", ""),
            form.get("from", ""),
            error=str(exc),
            failed=aid,
            typed=typed,
            status=exc.status,
        )
    return RedirectResponse(back, status_code=303)


@router.post("/delivery/activities/{activity_id}/complete", response_model=None)
async def complete(request: Request, ctx: Ctx, activity_id: str, form: CheckedForm) -> Response:
    """Complete with the outcome and the hours spent (blank hours: the planned effort, as the scheduler does)."""
    body: dict[str, Any] = {"outcome": form.get("outcome", "").strip()}
    if form.get("hours_spent", "").strip():
        body["hours_spent"] = form["hours_spent"].strip()
    return await _act(request, ctx, activity_id, form, "complete", body)


@router.post("/delivery/activities/{activity_id}/skip", response_model=None)
async def skip(request: Request, ctx: Ctx, activity_id: str, form: CheckedForm) -> Response:
    return await _act(request, ctx, activity_id, form, "skip", {"reason": form.get("reason", "").strip()})


@router.post("/delivery/calendar", response_model=None)
async def subscribe(request: Request, ctx: Ctx, form: CheckedForm) -> Response:
    """A calendar subscribe URL for the person shown. The scheduler shows a URL once, so this answers the page
    with it (no redirect, which would lose it); the Idempotency-Key makes a double click one subscription."""
    staff_id = as_uuid(form.get("staff", ""))
    body = {"kind": "staff", "subject_id": staff_id}
    key = form.get("idempotency_key") or str(uuid.uuid4())
    created = await ctx.calls.send("POST", "scheduler", "/v1/calendars/subscriptions", body, idempotency_key=key)
    return await _page(request, ctx, staff_id, form.get("from", ""), subscribed=created)
