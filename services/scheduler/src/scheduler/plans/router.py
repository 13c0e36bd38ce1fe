"""Plan routes: what the scheduler made of an agreement."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from scheduler.deps import Reader
from scheduler.plans import service
from scheduler.plans.schemas import PlanOut
from vcio_shared.db import SessionDep

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.get("/{agreement_id}")
async def get_plan(agreement_id: uuid.UUID, principal: Reader, session: SessionDep) -> PlanOut:
    return await service.get_plan(session, principal.tenant_id, agreement_id)
