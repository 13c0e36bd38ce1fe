"""Initiative and roadmap routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from strategy.deps import Reader, Writer
from strategy.initiatives import service
from strategy.initiatives.roadmap import roadmap
from strategy.initiatives.schemas import InitiativeCreate, InitiativeOut, InitiativeUpdate, RoadmapOut, Status
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Currency, Page, PageDep

router = APIRouter(prefix="/v1/initiatives", tags=["initiatives"])
clients_router = APIRouter(prefix="/v1/clients", tags=["initiatives"])

Year = Annotated[int | None, Query(ge=1970, le=2999)]


@router.post("", status_code=201, response_model=InitiativeOut)
async def create_initiative(
    body: InitiativeCreate, principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> object:
    """An initiative for a client, by hand or answering findings, with its one-time and recurring budget."""
    return await idem.once(principal.tenant_id, lambda: service.create(session, principal, clock, body))


@router.get("")
async def list_initiatives(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    client_id: uuid.UUID | None = None,
    status: Status | None = None,
) -> Page[InitiativeOut]:
    filters = {"client_id": client_id, "status": status}
    return await service.list_initiatives(session, principal.tenant_id, page, filters)


@router.get("/{initiative_id}")
async def get_initiative(initiative_id: uuid.UUID, principal: Reader, session: SessionDep) -> InitiativeOut:
    return await service.load(session, principal.tenant_id, initiative_id)


@router.patch("/{initiative_id}")
async def patch_initiative(
    initiative_id: uuid.UUID, body: InitiativeUpdate, principal: Writer, session: SessionDep, clock: ClockDep
) -> InitiativeOut:
    """Move it (fiscal year, quarter), change its status along its path (409 otherwise), replace its budget."""
    return await service.update(session, principal, clock, initiative_id, body)


@clients_router.get("/{client_id}/roadmap")
async def client_roadmap(
    client_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    from_year: Year = None,
    to_year: Year = None,
    currency: Annotated[Currency | None, Query()] = None,
) -> RoadmapOut:
    """The client's initiatives by fiscal year and quarter with one-time, recurring (annualised) and total sums;
    by default from the current fiscal year, three years."""
    today = clock.now().date()
    return await roadmap(
        session, principal.tenant_id, client_id, today, from_year=from_year, to_year=to_year, currency=currency
    )
