"""Standard routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from strategy.deps import Reader, Writer
from strategy.standards import service
from strategy.standards.schemas import StandardCreate, StandardOut
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page, PageDep

router = APIRouter(prefix="/v1/standards", tags=["standards"])

VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000, description="an older version; default the latest")]


@router.post("", status_code=201, response_model=StandardOut)
async def create_standard(
    body: StandardCreate, principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> object:
    """A draft standard, version 1: sections of questions, each weighted by its priority (high 5, medium 3, low 1)."""
    return await idem.once(principal.tenant_id, lambda: service.create(session, principal, clock, body))


@router.get("")
async def list_standards(principal: Reader, session: SessionDep, page: PageDep) -> Page[StandardOut]:
    """The latest version of each of the tenant's standards, and the starter standard every tenant reads."""
    return await service.list_standards(session, principal.tenant_id, page)


@router.get("/{standard_id}")
async def get_standard(
    standard_id: uuid.UUID, principal: Reader, session: SessionDep, version: VersionQuery = None
) -> StandardOut:
    return await service.load(session, principal.tenant_id, standard_id, version)


@router.put("/{standard_id}")
async def replace_standard(
    standard_id: uuid.UUID, body: StandardCreate, principal: Writer, session: SessionDep, clock: ClockDep
) -> StandardOut:
    """Replace the draft; on a published version, open the next draft version."""
    return await service.replace(session, principal, clock, standard_id, body)


@router.post("/{standard_id}/publish")
async def publish_standard(
    standard_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep
) -> StandardOut:
    return await service.publish(session, principal, clock, standard_id)


@router.post("/{standard_id}/retire")
async def retire_standard(
    standard_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep
) -> StandardOut:
    return await service.retire(session, principal, clock, standard_id)
