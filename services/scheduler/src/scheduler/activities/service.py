"""Activity rules: planned → scheduled → completed | skipped | cancelled, with every move kept in history."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities import repository as repo
from scheduler.activities.schemas import (
    ActivityChangeOut,
    ActivityOut,
    AssignRequest,
    CompleteRequest,
    RescheduleRequest,
    ScheduleRequest,
    SkipRequest,
)
from vcio_shared.audit import record
from vcio_shared.auth import Principal
from vcio_shared.errors import Conflict, NotFound, Unprocessable
from vcio_shared.events import build, emit, emit_many
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "scheduler"
OPEN = ("planned", "scheduled")


def hours(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def to_out(row: Any) -> ActivityOut:
    return ActivityOut(
        id=row["id"],
        agreement_id=row["agreement_id"],
        client_id=row["client_id"],
        name=row["name"],
        category=row["category"],
        track=row["track"],
        billing_mode=row["billing_mode"],
        cadence=row["cadence"],
        role=row["role"],
        effort_hours=hours(row["effort_hours"]) or "0.00",
        deliverable=row["deliverable"],
        occurrence_date=row["occurrence_date"],
        planned_date=row["planned_date"],
        due_date=row["due_date"],
        scheduled_time=row["scheduled_time"],
        status=row["status"],
        assignee_id=row["assignee_id"],
        completed_at=row["completed_at"],
        outcome=row["outcome"],
        hours_spent=hours(row["hours_spent"]),
        deliverable_links=list(row["deliverable_links"] or []),
        skip_reason=row["skip_reason"],
        cancel_reason=row["cancel_reason"],
        overdue=bool(row["overdue"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def completed_event_data(a: ActivityOut) -> dict[str, Any]:
    """`vcio.scheduler.activity.completed` exactly as docs/events.md lists it (billing consumes it)."""
    return {
        "id": str(a.id),
        "agreement_id": str(a.agreement_id),
        "client_id": str(a.client_id),
        "name": a.name,
        "category": a.category,
        "track": a.track,
        "billing_mode": a.billing_mode,
        "role": a.role,
        "due_date": a.due_date.isoformat(),
        "completed_at": a.completed_at.isoformat() if a.completed_at else None,
        "outcome": a.outcome,
        "hours_spent": a.hours_spent,
        "deliverable_links": a.deliverable_links,
    }


async def get(session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, now: dt.datetime) -> ActivityOut:
    row = await repo.get(session, tenant_id, activity_id, now)
    if row is None:
        raise NotFound("no such activity")
    return to_out(row)


async def list_activities(
    session: AsyncSession, tenant_id: str, f: repo.ActivityFilter, page: PageParams, now: dt.datetime
) -> Page[ActivityOut]:
    if f.due_from and f.due_to and f.due_from > f.due_to:
        raise Unprocessable.field(["query", "due_to"], "due_to is before due_from")
    rows = await repo.list_(session, tenant_id, f, page.after, page.limit + 1, now)
    return page_of([to_out(r) for r in rows], page.limit)


async def _locked(session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, now: dt.datetime) -> Any:
    row = await repo.get(session, tenant_id, activity_id, now, for_update=True)
    if row is None:
        raise NotFound("no such activity")
    return row


def _require_open(row: Any, action: str) -> None:
    if row["status"] not in OPEN:
        raise Conflict(f"a {row['status']} activity cannot be {action}")


async def _check_assignee(session: AsyncSession, tenant_id: str, assignee_id: uuid.UUID | None, loc: str) -> None:
    if assignee_id is not None and not await repo.staff_member_exists(session, tenant_id, assignee_id):
        raise Unprocessable.field(["body", loc], "no such active staff member")


async def _changed(
    session: AsyncSession,
    principal: Principal,
    activity_id: uuid.UUID,
    action: str,
    changes: dict[str, Any],
    now: dt.datetime,
    event_type: str | None = None,
) -> ActivityOut:
    out = await get(session, principal.tenant_id, activity_id, now)
    await record(session, principal, f"activity.{action}", "activity", activity_id, changes)
    if event_type is not None:
        data = completed_event_data(out) if event_type.endswith(".completed") else out.model_dump(mode="json")
        await emit(session, SERVICE, event_type, principal.tenant_id, data, subject=str(activity_id))
    return out


async def schedule(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: ScheduleRequest, now: dt.datetime
) -> ActivityOut:
    row = await _locked(session, principal.tenant_id, activity_id, now)
    if row["status"] != "planned":
        raise Conflict(f"only a planned activity can be scheduled (it is {row['status']}); reschedule it instead")
    await _check_assignee(session, principal.tenant_id, body.assignee_id, "assignee_id")
    values: dict[str, Any] = {"status": "scheduled", "due_date": body.date, "scheduled_time": body.time}
    if body.assignee_id is not None:
        values["assignee_id"] = body.assignee_id
    await repo.update(session, principal.tenant_id, activity_id, now, **values)
    await repo.add_change(
        session,
        principal.tenant_id,
        activity_id,
        "scheduled",
        principal.sub,
        now,
        from_date=row["due_date"],
        to_date=body.date,
        from_time=row["scheduled_time"],
        to_time=body.time,
    )
    return await _changed(
        session,
        principal,
        activity_id,
        "scheduled",
        {"due_date": body.date, "time": body.time, "assignee_id": values.get("assignee_id")},
        now,
        "vcio.scheduler.activity.scheduled",
    )


async def reschedule(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: RescheduleRequest, now: dt.datetime
) -> ActivityOut:
    row = await _locked(session, principal.tenant_id, activity_id, now)
    _require_open(row, "rescheduled")
    await repo.update(
        session, principal.tenant_id, activity_id, now, status="scheduled", due_date=body.date, scheduled_time=body.time
    )
    await repo.add_change(
        session,
        principal.tenant_id,
        activity_id,
        "rescheduled",
        principal.sub,
        now,
        from_date=row["due_date"],
        to_date=body.date,
        from_time=row["scheduled_time"],
        to_time=body.time,
        reason=body.reason,
    )
    return await _changed(
        session,
        principal,
        activity_id,
        "rescheduled",
        {"from": row["due_date"], "to": body.date, "time": body.time, "reason": body.reason},
        now,
        "vcio.scheduler.activity.rescheduled",
    )


async def assign(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: AssignRequest, now: dt.datetime
) -> ActivityOut:
    row = await _locked(session, principal.tenant_id, activity_id, now)
    _require_open(row, "reassigned")
    await _check_assignee(session, principal.tenant_id, body.assignee_id, "assignee_id")
    await repo.update(session, principal.tenant_id, activity_id, now, assignee_id=body.assignee_id)
    await repo.add_change(
        session,
        principal.tenant_id,
        activity_id,
        "assigned",
        principal.sub,
        now,
        reason=str(body.assignee_id) if body.assignee_id else "unassigned",
    )
    return await _changed(
        session,
        principal,
        activity_id,
        "assigned",
        {"from": row["assignee_id"], "to": body.assignee_id},
        now,
        "vcio.scheduler.activity.assigned",
    )


async def complete(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: CompleteRequest, now: dt.datetime
) -> ActivityOut:
    row = await _locked(session, principal.tenant_id, activity_id, now)
    _require_open(row, "completed")
    completed_at = body.completed_at or now
    if completed_at > now + dt.timedelta(minutes=5):
        raise Unprocessable.field(["body", "completed_at"], "completed_at is in the future")
    if completed_at.year < 2000:
        raise Unprocessable.field(["body", "completed_at"], "completed_at is before 2000")
    # Without a figure, the hours spent are the planned effort: billing's "value delivered" always has hours.
    spent = body.hours_spent if body.hours_spent is not None else row["effort_hours"]
    links = [str(u) for u in body.deliverable_links]
    await repo.update(
        session,
        principal.tenant_id,
        activity_id,
        now,
        status="completed",
        completed_at=completed_at.astimezone(dt.UTC),
        outcome=body.outcome,
        hours_spent=spent,
        deliverable_links=links,
    )
    await repo.add_change(session, principal.tenant_id, activity_id, "completed", principal.sub, now)
    return await _changed(
        session,
        principal,
        activity_id,
        "completed",
        {"outcome": body.outcome, "hours_spent": hours(spent), "deliverable_links": links},
        now,
        "vcio.scheduler.activity.completed",
    )


async def skip(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: SkipRequest, now: dt.datetime
) -> ActivityOut:
    row = await _locked(session, principal.tenant_id, activity_id, now)
    _require_open(row, "skipped")
    await repo.update(session, principal.tenant_id, activity_id, now, status="skipped", skip_reason=body.reason)
    await repo.add_change(session, principal.tenant_id, activity_id, "skipped", principal.sub, now, reason=body.reason)
    return await _changed(
        session, principal, activity_id, "skipped", {"reason": body.reason}, now, "vcio.scheduler.activity.skipped"
    )


async def cancel(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: SkipRequest, now: dt.datetime
) -> ActivityOut:
    """An activity the MSP and client agreed to drop (not delivered, not promised any more)."""
    row = await _locked(session, principal.tenant_id, activity_id, now)
    _require_open(row, "cancelled")
    await repo.update(session, principal.tenant_id, activity_id, now, status="cancelled", cancel_reason=body.reason)
    await repo.add_change(
        session, principal.tenant_id, activity_id, "cancelled", principal.sub, now, reason=body.reason
    )
    return await _changed(
        session, principal, activity_id, "cancelled", {"reason": body.reason}, now, "vcio.scheduler.activity.cancelled"
    )


async def history(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, page: PageParams, now: dt.datetime
) -> Page[ActivityChangeOut]:
    await get(session, tenant_id, activity_id, now)
    rows = await repo.list_changes(session, tenant_id, activity_id, page.after, page.limit + 1)
    return page_of([ActivityChangeOut.model_validate(dict(r)) for r in rows], page.limit)


async def overdue_sweep(session: AsyncSession, now: dt.datetime, batch: int = 5000) -> int:
    """Flag newly overdue activities and emit `activity.overdue` once for each (overdue_at is the guard)."""
    total = 0
    while True:
        rows = await repo.flag_overdue(session, now, batch)
        if not rows:
            return total
        await emit_many(
            session,
            [
                build(
                    SERVICE,
                    "vcio.scheduler.activity.overdue",
                    r["tenant_id"],
                    to_out(r).model_dump(mode="json"),
                    subject=str(r["id"]),
                    now=now,
                )
                for r in rows
            ],
        )
        total += len(rows)
        if len(rows) < batch:
            return total
