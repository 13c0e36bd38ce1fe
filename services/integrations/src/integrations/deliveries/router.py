"""Delivery routes: the log of an endpoint, one delivery, retry, test and replay (CONTRACT.md §6)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from integrations.deliveries import replay, service
from integrations.deliveries.schemas import DeliveryOut, ReplayOut, ReplayRequest, Status
from integrations.deps import Reader, Writer
from integrations.endpoints import service as endpoints
from integrations.streams import STREAMS
from vcio_shared.db import SessionDep
from vcio_shared.errors import Unavailable
from vcio_shared.runtime import ClockDep, RuntimeDep
from vcio_shared.schemas import Page, PageDep

router = APIRouter(tags=["webhook deliveries"])

EventType = Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[a-z0-9_.]+$")]


@router.get("/v1/webhook-endpoints/{endpoint_id}/deliveries")
async def list_deliveries(
    endpoint_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    status: Status | None = None,
    event_type: EventType = None,
    order: Annotated[Literal["asc", "desc"], Query(description="asc: as made; desc: newest first")] = "asc",
) -> Page[DeliveryOut]:
    return await service.list_deliveries(
        session, principal.tenant_id, endpoint_id, status, event_type, page, newest_first=order == "desc"
    )


@router.get("/v1/webhook-deliveries/{delivery_id}")
async def get_delivery(delivery_id: uuid.UUID, principal: Reader, session: SessionDep) -> DeliveryOut:
    return await service.get(session, principal.tenant_id, delivery_id)


@router.post("/v1/webhook-deliveries/{delivery_id}/retry", status_code=202)
async def retry_delivery(
    delivery_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep
) -> DeliveryOut:
    return await service.retry(session, principal.tenant_id, delivery_id, clock.now())


@router.post("/v1/webhook-endpoints/{endpoint_id}/test", status_code=202)
async def test_endpoint(endpoint_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep) -> DeliveryOut:
    return await service.ping(session, principal.tenant_id, endpoint_id, clock.now())


@router.post("/v1/webhook-endpoints/{endpoint_id}/replay", status_code=202)
async def replay_endpoint(
    endpoint_id: uuid.UUID,
    body: ReplayRequest,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    runtime: RuntimeDep,
) -> ReplayOut:
    """Every event of the endpoint since `since`, read back from the streams, sent again."""
    endpoint = await endpoints.found(session, principal.tenant_id, endpoint_id)
    if not runtime.bus.is_connected:
        raise Unavailable("NATS is not reachable: the streams cannot be read")
    queued = await replay.replay(session, runtime.bus.js, STREAMS, endpoint, body.since, clock.now())
    return ReplayOut(endpoint_id=endpoint_id, since=body.since, queued=queued)
