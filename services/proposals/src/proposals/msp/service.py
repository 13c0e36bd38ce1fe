"""The MSP profile: until one is set, proposals show the tenant id as the MSP's name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.msp import repository
from proposals.msp.schemas import MspProfileIn, MspProfilePublic
from vcio_shared import audit
from vcio_shared.auth import Principal


async def get(session: AsyncSession, tenant_id: str) -> MspProfilePublic:
    row = await repository.get(session, tenant_id)
    if row is None:
        return MspProfilePublic(name=tenant_id, email=None, phone=None, website=None, updated_at=None)
    return MspProfilePublic.model_validate(row)


async def put(session: AsyncSession, principal: Principal, body: MspProfileIn, now: dt.datetime) -> MspProfilePublic:
    values = {**body.model_dump(), "updated_at": now}
    row = await repository.upsert(session, principal.tenant_id, values)
    await audit.record(session, principal, "msp_profile.updated", "msp_profile", principal.tenant_id, body.model_dump())
    return MspProfilePublic.model_validate(row)
