"""MSP profile routes (thin)."""

from __future__ import annotations

from fastapi import APIRouter

from proposals.deps import Reader, Writer
from proposals.msp import service
from proposals.msp.schemas import MspProfileOut, MspProfileUpdate
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep

router = APIRouter(prefix="/v1/msp-profile", tags=["msp profile"])


@router.get("")
async def get_profile(principal: Reader, session: SessionDep) -> MspProfileOut:
    return await service.get(session, principal.tenant_id)


@router.put("")
async def put_profile(body: MspProfileUpdate, principal: Writer, session: SessionDep, clock: ClockDep) -> MspProfileOut:
    return await service.put(session, principal, body, clock.now())
