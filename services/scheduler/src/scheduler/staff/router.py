"""Staff and capacity routes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from scheduler.activities.schemas import SaneDate
from scheduler.deps import Reader, Writer
from scheduler.staff import service
from scheduler.staff.schemas import CapacityReportOut, StaffCreate, StaffOut, StaffUpdate
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page, PageDep
from vcio_shared.vocabulary import Role

router = APIRouter(tags=["staff"])


@router.post("/v1/staff", status_code=201, response_model=StaffOut)
async def create_staff_member(
    body: StaffCreate, principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> Any:
    return await idem.once(principal.tenant_id, lambda: service.create(session, principal, body, clock.now()))


@router.get("/v1/staff")
async def list_staff(
    principal: Reader, session: SessionDep, page: PageDep, role: Role | None = None, active: bool | None = None
) -> Page[StaffOut]:
    return await service.list_staff(session, principal.tenant_id, role, active, page)


@router.get("/v1/staff/{staff_id}")
async def get_staff_member(staff_id: uuid.UUID, principal: Reader, session: SessionDep) -> StaffOut:
    return await service.get(session, principal.tenant_id, staff_id)


@router.patch("/v1/staff/{staff_id}")
async def update_staff_member(
    staff_id: uuid.UUID, body: StaffUpdate, principal: Writer, session: SessionDep, clock: ClockDep
) -> StaffOut:
    return await service.update(session, principal, staff_id, body, clock.now())


@router.get("/v1/capacity", response_model=CapacityReportOut, response_model_by_alias=True)
async def capacity_report(
    principal: Reader,
    session: SessionDep,
    period_from: Annotated[SaneDate, Query(alias="from")],
    period_to: Annotated[SaneDate, Query(alias="to")],
    period: Literal["week", "month"] = "week",
    staff_id: uuid.UUID | None = None,
    role: Role | None = None,
) -> Any:
    return await service.capacity(session, principal.tenant_id, period, period_from, period_to, staff_id, role)
