"""Activity routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

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
from vcio_shared.auth import Principal
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page, PageDep, RequestModel

router = APIRouter(prefix="/v1/activities", tags=["activities"])
Move = Callable[[AsyncSession, Principal, uuid.UUID, Any, dt.datetime], Awaitable[ActivityOut]]


def _filter(
    agreement_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    status: Status | None = None,
    due_from: Annotated[SaneDate | None, Query()] = None,
    due_to: Annotated[SaneDate | None, Query()] = None,
    overdue: bool | None = None,
    assigned: bool | None = None,
) -> ActivityFilter:
    """The list's query parameters, in the order the filter takes them."""
    return ActivityFilter(agreement_id, client_id, assignee_id, status, due_from, due_to, overdue, assigned)


Filter = Annotated[ActivityFilter, Depends(_filter)]


@router.get("")
async def list_activities(
    principal: Reader, session: SessionDep, clock: ClockDep, f: Filter, page: PageDep
) -> Page[ActivityOut]:
    return await service.list_activities(session, principal.tenant_id, f, page, clock.now())


@router.get("/{activity_id}")
async def get_activity(activity_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep) -> ActivityOut:
    return await service.get(session, principal.tenant_id, activity_id, clock.now())


@router.get("/{activity_id}/history")
async def activity_history(
    activity_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep, page: PageDep
) -> Page[ActivityChangeOut]:
    return await service.history(session, principal.tenant_id, activity_id, page, clock.now())


def _action(name: str, body_type: type[RequestModel], move: Move) -> None:
    """`POST /v1/activities/{activity_id}/<name>`: one move of an activity, answered with the activity."""

    async def route(
        activity_id: uuid.UUID, body: RequestModel, principal: Writer, session: SessionDep, clock: ClockDep
    ) -> ActivityOut:
        return await move(session, principal, activity_id, body, clock.now())

    route.__annotations__["body"] = body_type  # the body's own model, for parsing and the OpenAPI document
    route.__name__ = route.__qualname__ = f"{name}_activity"
    router.post(f"/{{activity_id}}/{name}")(route)


_action("schedule", ScheduleRequest, service.schedule)
_action("reschedule", RescheduleRequest, service.reschedule)
_action("assign", AssignRequest, service.assign)
_action("complete", CompleteRequest, service.complete)
_action("skip", SkipRequest, service.skip)
_action("cancel", SkipRequest, service.cancel)
