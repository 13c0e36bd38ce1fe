"""Activity routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from scheduler.activities import service
from scheduler.activities.repository import ActivityFilter
from scheduler.activities.schemas import (
    ActivityChangeOut,
    ActivityOut,
    AssignRequest,
    CompleteRequest,
    RescheduleRequest,
    SaneDate,
    ScheduleRequest,
    SkipRequest,
    Status,
)
from scheduler.deps import Reader, Writer
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page, PageDep

router = APIRouter(prefix="/v1/activities", tags=["activities"])


@router.get("")
async def list_activities(
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    agreement_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    status: Status | None = None,
    due_from: Annotated[SaneDate | None, Query()] = None,
    due_to: Annotated[SaneDate | None, Query()] = None,
    overdue: bool | None = None,
) -> Page[ActivityOut]:
    f = ActivityFilter(
        agreement_id=agreement_id,
        client_id=client_id,
        assignee_id=assignee_id,
        status=status,
        due_from=due_from,
        due_to=due_to,
        overdue=overdue,
    )
    return await service.list_activities(session, principal.tenant_id, f, page, clock.now())


@router.get("/{activity_id}")
async def get_activity(activity_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep) -> ActivityOut:
    return await service.get(session, principal.tenant_id, activity_id, clock.now())


@router.get("/{activity_id}/history")
async def activity_history(
    activity_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep, page: PageDep
) -> Page[ActivityChangeOut]:
    return await service.history(session, principal.tenant_id, activity_id, page, clock.now())


@router.post("/{activity_id}/schedule")
async def schedule_activity(
    activity_id: uuid.UUID, body: ScheduleRequest, principal: Writer, session: SessionDep, clock: ClockDep
) -> ActivityOut:
    return await service.schedule(session, principal, activity_id, body, clock.now())


@router.post("/{activity_id}/reschedule")
async def reschedule_activity(
    activity_id: uuid.UUID, body: RescheduleRequest, principal: Writer, session: SessionDep, clock: ClockDep
) -> ActivityOut:
    return await service.reschedule(session, principal, activity_id, body, clock.now())


@router.post("/{activity_id}/assign")
async def assign_activity(
    activity_id: uuid.UUID, body: AssignRequest, principal: Writer, session: SessionDep, clock: ClockDep
) -> ActivityOut:
    return await service.assign(session, principal, activity_id, body, clock.now())


@router.post("/{activity_id}/complete")
async def complete_activity(
    activity_id: uuid.UUID, body: CompleteRequest, principal: Writer, session: SessionDep, clock: ClockDep
) -> ActivityOut:
    return await service.complete(session, principal, activity_id, body, clock.now())


@router.post("/{activity_id}/skip")
async def skip_activity(
    activity_id: uuid.UUID, body: SkipRequest, principal: Writer, session: SessionDep, clock: ClockDep
) -> ActivityOut:
    return await service.skip(session, principal, activity_id, body, clock.now())


@router.post("/{activity_id}/cancel")
async def cancel_activity(
    activity_id: uuid.UUID, body: SkipRequest, principal: Writer, session: SessionDep, clock: ClockDep
) -> ActivityOut:
    return await service.cancel(session, principal, activity_id, body, clock.now())
