"""Staff rules and the capacity report (per person, per week or month, overbooking flagged)."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.staff import repository as repo
from scheduler.staff.schemas import CapacityReportOut, CapacityRowOut, StaffCreate, StaffOut, StaffUpdate
from vcio_shared.audit import diff, record
from vcio_shared.auth import Principal
from vcio_shared.errors import NotFound, Unprocessable
from vcio_shared.events import emit
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "scheduler"
MAX_REPORT_DAYS = 400


def to_out(row: Any) -> StaffOut:
    return StaffOut.model_validate(dict(row))


async def _announce(session: AsyncSession, principal: Principal, action: str, out: StaffOut) -> None:
    """`vcio.scheduler.staff_member.<action>`, carrying the member as the API shows them."""
    data = out.model_dump(mode="json")
    event_type = f"vcio.scheduler.staff_member.{action}"
    await emit(session, SERVICE, event_type, principal.tenant_id, data, subject=str(out.id))


async def create(session: AsyncSession, principal: Principal, body: StaffCreate, now: dt.datetime) -> StaffOut:
    staff_id = uuid7()
    await repo.insert(session, {**body.model_dump(), "id": staff_id, "tenant_id": principal.tenant_id, "now": now})
    out = await get(session, principal.tenant_id, staff_id)
    await record(session, principal, "staff.created", "staff_member", staff_id, out.model_dump(mode="json"))
    await _announce(session, principal, "created", out)
    return out


async def get(session: AsyncSession, tenant_id: str, staff_id: uuid.UUID) -> StaffOut:
    row = await repo.get(session, tenant_id, staff_id)
    if row is None:
        raise NotFound("no such staff member")
    return to_out(row)


async def update(
    session: AsyncSession, principal: Principal, staff_id: uuid.UUID, body: StaffUpdate, now: dt.datetime
) -> StaffOut:
    row = await repo.get(session, principal.tenant_id, staff_id, for_update=True)
    if row is None:
        raise NotFound("no such staff member")
    values = body.model_dump(exclude_unset=True)
    for key in ("name", "roles", "weekly_capacity_hours", "active"):
        if key in values and values[key] is None:
            raise Unprocessable.field(["body", key], "must not be null")
    if not values:
        return to_out(row)
    before = to_out(row).model_dump(mode="json")
    await repo.update(session, principal.tenant_id, staff_id, now, **values)
    out = await get(session, principal.tenant_id, staff_id)
    changes = diff(before, out.model_dump(mode="json"))
    changes.pop("updated_at", None)
    await record(session, principal, "staff.updated", "staff_member", staff_id, changes)
    await _announce(session, principal, "updated", out)
    return out


async def list_staff(
    session: AsyncSession, tenant_id: str, role: str | None, active: bool | None, page: PageParams
) -> Page[StaffOut]:
    rows = await repo.list_(session, tenant_id, role, active, page.after, page.limit + 1)
    return page_of([to_out(r) for r in rows], page.limit)


def _periods(period: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Whole weeks (Monday to Monday) or calendar months covering [start, end)."""
    out = []
    if period == "week":
        cur = start - dt.timedelta(days=start.weekday())
        while cur < end:
            out.append((cur, cur + dt.timedelta(days=7)))
            cur += dt.timedelta(days=7)
    else:
        cur = start.replace(day=1)
        while cur < end:
            nxt = (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            out.append((cur, nxt))
            cur = nxt
    return out


def weekdays_in_month(first: dt.date) -> int:
    days = calendar.monthrange(first.year, first.month)[1]
    return sum(1 for d in range(days) if (first + dt.timedelta(days=d)).weekday() < 5)


def period_capacity(weekly: Decimal, period: str, start: dt.date) -> Decimal:
    """A week's capacity is the weekly hours; a month's is weekly × its weekdays ÷ 5 (40 h/week, 20 "
    "weekdays → 160 h)."""
    if period == "week":
        return weekly
    return (weekly * weekdays_in_month(start) / 5).quantize(Decimal("0.01"))


async def capacity(
    session: AsyncSession,
    tenant_id: str,
    period: str,
    start: dt.date,
    end: dt.date,
    staff_id: uuid.UUID | None,
    role: str | None,
) -> CapacityReportOut:
    if end <= start:
        raise Unprocessable.field(["query", "to"], "to must be after from")
    if (end - start).days > MAX_REPORT_DAYS:
        raise Unprocessable.field(["query", "to"], f"a capacity report covers at most {MAX_REPORT_DAYS} days")
    periods = _periods(period, start, end)
    staff = await repo.all_staff(session, tenant_id, staff_id, role)
    if staff_id is not None and not staff:
        raise NotFound("no such staff member")
    booked = {
        (r.assignee_id, r.period_start): (Decimal(r.hours), int(r.n))
        for r in await repo.booked(session, tenant_id, period, periods[0][0], periods[-1][1])
    }
    items = []
    for member in staff:
        for p_start, p_end in periods:
            cap = period_capacity(Decimal(member["weekly_capacity_hours"]), period, p_start)
            hours, n = booked.get((member["id"], p_start), (Decimal("0"), 0))
            util = None if cap == 0 else f"{(hours * 100 / cap).quantize(Decimal('0.01'))}"
            items.append(
                CapacityRowOut(
                    staff_id=member["id"],
                    name=member["name"],
                    roles=list(member["roles"]),
                    period_start=p_start,
                    period_end=p_end,
                    capacity_hours=f"{cap:.2f}",
                    booked_hours=f"{hours:.2f}",
                    activities=n,
                    utilisation_percent=util,
                    overbooked=hours > cap,
                )
            )
    return CapacityReportOut(
        period=period,  # type: ignore[arg-type]  # checked by the route
        period_from=periods[0][0],
        period_to=periods[-1][1],
        items=items,
    )
