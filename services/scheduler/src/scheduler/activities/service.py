"""Activity rules: planned → scheduled → completed | skipped | cancelled, with every move kept in history."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities import repository as repo
from scheduler.activities.notices import overdue_notices
from scheduler.activities.schemas import (
    ActivityChangeOut,
    ActivityOut,
    AssignRequest,
    CompleteRequest,
    RescheduleRequest,
    ScheduleRequest,
    SkipRequest,
    hours_text,
)
from vcio_shared.audit import record
from vcio_shared.auth import Principal
from vcio_shared.errors import Conflict, NotFound, Unprocessable
from vcio_shared.events import build, emit, emit_many
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "scheduler"
OPEN = ("planned", "scheduled")


def to_out(row: Any) -> ActivityOut:
    return ActivityOut.model_validate(dict(row))


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


async def _open(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, now: dt.datetime, verb: str | None
) -> Any:
    """The activity, locked for the move; a closed one cannot be `verb` (409; no check without a verb)."""
    row = await repo.get(session, tenant_id, activity_id, now, for_update=True)
    if row is None:
        raise NotFound("no such activity")
    if verb is not None and row["status"] not in OPEN:
        raise Conflict(f"a {row['status']} activity cannot be {verb}")
    return row


async def _check_assignee(session: AsyncSession, tenant_id: str, assignee_id: uuid.UUID | None) -> None:
    if assignee_id is not None and not await repo.staff_member_exists(session, tenant_id, assignee_id):
        raise Unprocessable.field(["body", "assignee_id"], "no such active staff member")


@dataclass(frozen=True)
class _Move:
    """One move of an activity: the columns it sets, its history row (from/to/reason) and its audit data. The
    action names the history row, the audit action (`activity.<action>`) and the event
    (`vcio.scheduler.activity.<action>`)."""

    action: str
    values: dict[str, Any]
    change: dict[str, Any]
    audit: dict[str, Any]


async def _apply(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, move: _Move, now: dt.datetime
) -> ActivityOut:
    tenant_id = principal.tenant_id
    await repo.update(session, tenant_id, activity_id, now, **move.values)
    await repo.add_change(session, tenant_id, activity_id, move.action, principal.sub, now, **move.change)
    out = await get(session, tenant_id, activity_id, now)
    await record(session, principal, f"activity.{move.action}", "activity", activity_id, move.audit)
    data = completed_event_data(out) if move.action == "completed" else out.model_dump(mode="json")
    event_type = f"vcio.scheduler.activity.{move.action}"
    await emit(session, SERVICE, event_type, tenant_id, data, subject=str(activity_id))
    return out


def _moved(row: Any, date: dt.date, time: dt.time | None) -> dict[str, Any]:
    """The history row's from/to of a move to another date and time."""
    return {"from_date": row["due_date"], "to_date": date, "from_time": row["scheduled_time"], "to_time": time}


async def schedule(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: ScheduleRequest, now: dt.datetime
) -> ActivityOut:
    row = await _open(session, principal.tenant_id, activity_id, now, None)
    if row["status"] != "planned":
        raise Conflict(f"only a planned activity can be scheduled (it is {row['status']}); reschedule it instead")
    await _check_assignee(session, principal.tenant_id, body.assignee_id)
    values: dict[str, Any] = {"status": "scheduled", "due_date": body.date, "scheduled_time": body.time}
    if body.assignee_id is not None:
        values["assignee_id"] = body.assignee_id
    audit = {"due_date": body.date, "time": body.time, "assignee_id": values.get("assignee_id")}
    move = _Move("scheduled", values, _moved(row, body.date, body.time), audit)
    return await _apply(session, principal, activity_id, move, now)


async def reschedule(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: RescheduleRequest, now: dt.datetime
) -> ActivityOut:
    row = await _open(session, principal.tenant_id, activity_id, now, "rescheduled")
    values = {"status": "scheduled", "due_date": body.date, "scheduled_time": body.time}
    audit = {"from": row["due_date"], "to": body.date, "time": body.time, "reason": body.reason}
    move = _Move("rescheduled", values, {**_moved(row, body.date, body.time), "reason": body.reason}, audit)
    return await _apply(session, principal, activity_id, move, now)


async def assign(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: AssignRequest, now: dt.datetime
) -> ActivityOut:
    row = await _open(session, principal.tenant_id, activity_id, now, "reassigned")
    await _check_assignee(session, principal.tenant_id, body.assignee_id)
    reason = str(body.assignee_id) if body.assignee_id else "unassigned"
    audit = {"from": row["assignee_id"], "to": body.assignee_id}
    move = _Move("assigned", {"assignee_id": body.assignee_id}, {"reason": reason}, audit)
    return await _apply(session, principal, activity_id, move, now)


async def complete(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: CompleteRequest, now: dt.datetime
) -> ActivityOut:
    row = await _open(session, principal.tenant_id, activity_id, now, "completed")
    completed_at = body.completed_at or now
    if completed_at > now + dt.timedelta(minutes=5):
        raise Unprocessable.field(["body", "completed_at"], "completed_at is in the future")
    if completed_at.year < 2000:
        raise Unprocessable.field(["body", "completed_at"], "completed_at is before 2000")
    # Without a figure, the hours spent are the planned effort: billing's "value delivered" always has hours.
    spent = body.hours_spent if body.hours_spent is not None else row["effort_hours"]
    links = [str(u) for u in body.deliverable_links]
    values = {
        "status": "completed",
        "completed_at": completed_at.astimezone(dt.UTC),
        "outcome": body.outcome,
        "hours_spent": spent,
        "deliverable_links": links,
    }
    audit = {"outcome": body.outcome, "hours_spent": hours_text(spent), "deliverable_links": links}
    return await _apply(session, principal, activity_id, _Move("completed", values, {}, audit), now)


async def skip(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: SkipRequest, now: dt.datetime
) -> ActivityOut:
    return await _close(session, principal, activity_id, "skipped", body.reason, now)


async def cancel(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, body: SkipRequest, now: dt.datetime
) -> ActivityOut:
    """An activity the MSP and client agreed to drop (not delivered, not promised any more)."""
    return await _close(session, principal, activity_id, "cancelled", body.reason, now)


async def _close(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, status: str, reason: str, now: dt.datetime
) -> ActivityOut:
    """Skipped or cancelled, with the reason kept on the activity (skip_reason, cancel_reason) and in history."""
    await _open(session, principal.tenant_id, activity_id, now, status)
    column = "skip_reason" if status == "skipped" else "cancel_reason"
    move = _Move(status, {"status": status, column: reason}, {"reason": reason}, {"reason": reason})
    return await _apply(session, principal, activity_id, move, now)


async def history(
    session: AsyncSession, tenant_id: str, activity_id: uuid.UUID, page: PageParams, now: dt.datetime
) -> Page[ActivityChangeOut]:
    await get(session, tenant_id, activity_id, now)
    rows = await repo.list_changes(session, tenant_id, activity_id, page.after, page.limit + 1)
    return page_of([ActivityChangeOut.model_validate(dict(r)) for r in rows], page.limit)


async def overdue_sweep(session: AsyncSession, now: dt.datetime, batch: int = 5000) -> int:
    """Flag newly overdue activities; emit `activity.overdue` and enqueue the overdue notice (assignee, vCIOs)
    once for each, in the same transaction (overdue_at is the guard, the mail's cause a second one)."""
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
        await overdue_notices(session, rows, now)
        total += len(rows)
        if len(rows) < batch:
            return total
