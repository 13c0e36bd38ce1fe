"""The MSP profile: until one is set, proposals show the tenant id as the MSP's name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.msp import repository
from proposals.msp.schemas import MspProfileOut, MspProfileUpdate
from vcio_shared import audit, events
from vcio_shared.auth import Principal

SERVICE = "proposals"
UPDATED = "vcio.proposals.msp_profile.updated"
# The event's data, in this order (docs/events.md; billing prints them on invoices).
EVENT_FIELDS = (
    "name",
    "legal_name",
    "email",
    "phone",
    "website",
    "address",
    "tax_id",
    "payment_instructions",
    "terms",
)


async def get(session: AsyncSession, tenant_id: str) -> MspProfileOut:
    row = await repository.get(session, tenant_id)
    if row is None:
        return MspProfileOut(name=tenant_id, email=None, phone=None, website=None, updated_at=None)
    return MspProfileOut.model_validate(row)


async def put(session: AsyncSession, principal: Principal, body: MspProfileUpdate, now: dt.datetime) -> MspProfileOut:
    """Replace the profile and announce it (every PUT, in the same transaction), so billing names the MSP too."""
    values = {**body.model_dump(), "updated_at": now}
    row = await repository.upsert(session, principal.tenant_id, values)
    profile = MspProfileOut.model_validate(row)
    await audit.record(session, principal, "msp_profile.updated", "msp_profile", principal.tenant_id, body.model_dump())
    data = {k: getattr(profile, k) for k in EVENT_FIELDS}
    data["updated_at"] = row.updated_at.isoformat()
    await events.emit(session, SERVICE, UPDATED, principal.tenant_id, data, subject=principal.tenant_id, now=now)
    return profile
