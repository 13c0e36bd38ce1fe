"""Webhook endpoint routes (CONTRACT.md §6)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Response

from integrations.deps import AllowPrivate, Reader, VaultDep, Writer
from integrations.endpoints import service
from integrations.endpoints.schemas import EndpointCreate, EndpointCreatedOut, EndpointOut, EndpointUpdate, SecretOut
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page, PageDep

router = APIRouter(tags=["webhook endpoints"])


@router.post("/v1/webhook-endpoints", status_code=201, response_model=EndpointCreatedOut)
async def create_endpoint(
    body: EndpointCreate,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    idem: IdempotencyDep,
    vault: VaultDep,
    allow_private: AllowPrivate,
) -> Any:
    """The remembered answer holds the secret sealed, never in clear: a replay opens it again."""
    if (replayed := await idem.replay(principal.tenant_id)) is not None:
        answer = orjson.loads(replayed.body)
        if "secret" in answer:
            answer["secret"] = vault.open(answer["secret"])
        return Response(
            orjson.dumps(answer),
            status_code=replayed.status_code,
            media_type="application/json",
            headers={"Idempotency-Replayed": "true"},
        )
    created = await service.create(session, principal, body, vault, allow_private, clock.now())
    answer = created.model_dump(mode="json")
    await idem.remember(201, {**answer, "secret": vault.seal(created.secret)})
    return answer


@router.get("/v1/webhook-endpoints")
async def list_endpoints(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    enabled: bool | None = None,
    client_id: uuid.UUID | None = None,
) -> Page[EndpointOut]:
    return await service.list_endpoints(session, principal.tenant_id, enabled, client_id, page)


@router.get("/v1/webhook-endpoints/{endpoint_id}")
async def get_endpoint(endpoint_id: uuid.UUID, principal: Reader, session: SessionDep) -> EndpointOut:
    return await service.get(session, principal.tenant_id, endpoint_id)


@router.patch("/v1/webhook-endpoints/{endpoint_id}")
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    allow_private: AllowPrivate,
) -> EndpointOut:
    return await service.update(session, principal, endpoint_id, body, allow_private, clock.now())


@router.delete("/v1/webhook-endpoints/{endpoint_id}", status_code=204)
async def delete_endpoint(endpoint_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep) -> Response:
    await service.delete(session, principal, endpoint_id, clock.now())
    return Response(status_code=204)


@router.post("/v1/webhook-endpoints/{endpoint_id}/rotate-secret")
async def rotate_secret(
    endpoint_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep, vault: VaultDep
) -> SecretOut:
    return await service.rotate_secret(session, principal, endpoint_id, vault, clock.now())
