from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.tenants import repository as repo
from billing.tenants.schemas import TenantSettingsUpdate
from vcio_shared import audit
from vcio_shared.auth import Principal
from vcio_shared.bus import PoisonEvent


async def get(session: AsyncSession, tenant_id: str) -> dict[str, Any]:
    return await repo.get(session, tenant_id)


async def update(session: AsyncSession, principal: Principal, body: TenantSettingsUpdate) -> dict[str, Any]:
    before = await repo.get(session, principal.tenant_id)
    values = body.model_dump(exclude_none=True)
    if values:
        await repo.upsert(session, principal.tenant_id, values)
    after = await repo.get(session, principal.tenant_id)
    await audit.record(
        session, principal, "settings.updated", "tenant_settings", principal.tenant_id, audit.diff(before, after)
    )
    return after


class MspProfileData(BaseModel):
    """vcio.proposals.msp_profile.updated (docs/events.md): the whole profile, null where unset."""

    model_config = ConfigDict(extra="ignore")  # additions to the event are allowed
    name: str = Field(min_length=1, max_length=500)
    legal_name: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=100)
    website: str | None = Field(default=None, max_length=1000)
    address: str | None = Field(default=None, max_length=2000)
    tax_id: str | None = Field(default=None, max_length=200)
    payment_instructions: str | None = Field(default=None, max_length=5000)
    terms: str | None = Field(default=None, max_length=20000)
    updated_at: AwareDatetime


async def apply_msp_profile(
    session: AsyncSession, tenant_id: str, subject: str | None, data: Mapping[Any, Any]
) -> bool:
    """Keep the tenant's MSP profile (the seller on its invoices); the newest `updated_at` wins, so an older
    redelivery changes nothing. A profile whose subject is another tenant, or that does not parse, is poison."""
    if subject is not None and subject != tenant_id:
        raise PoisonEvent("msp_profile.updated for another tenant")
    try:
        profile = MspProfileData.model_validate(data)
    except ValidationError as exc:
        raise PoisonEvent(f"invalid msp_profile.updated: {exc.errors()[:3]}") from exc
    if not dt.datetime(1970, 1, 1, tzinfo=dt.UTC) <= profile.updated_at < dt.datetime(3000, 1, 1, tzinfo=dt.UTC):
        raise PoisonEvent("msp_profile.updated: updated_at out of range")
    return await repo.upsert_msp_profile(session, tenant_id, profile.model_dump())
