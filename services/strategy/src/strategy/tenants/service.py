"""A tenant's settings: read with their defaults, replaced whole."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.tenants import repository
from strategy.tenants.schemas import DEFAULT_FISCAL_YEAR_START_MONTH, TenantSettingsOut, TenantSettingsUpdate
from vcio_shared import audit
from vcio_shared.auth import Principal
from vcio_shared.clock import Clock


async def get(session: AsyncSession, tenant_id: str) -> TenantSettingsOut:
    row = await repository.get(session, tenant_id)
    if row is None:
        return TenantSettingsOut(fiscal_year_start_month=DEFAULT_FISCAL_YEAR_START_MONTH)
    return TenantSettingsOut.model_validate(row)


async def fiscal_year_start_month(session: AsyncSession, tenant_id: str) -> int:
    return (await get(session, tenant_id)).fiscal_year_start_month


async def update(
    session: AsyncSession, principal: Principal, clock: Clock, body: TenantSettingsUpdate
) -> TenantSettingsOut:
    before = await get(session, principal.tenant_id)
    row = await repository.put(
        session,
        {"tenant_id": principal.tenant_id, "updated_at": clock.now(), **body.model_dump()},
    )
    changes = audit.diff(before.model_dump(exclude={"updated_at"}), body.model_dump())
    await audit.record(session, principal, "settings.updated", "settings", principal.tenant_id, changes)
    return TenantSettingsOut.model_validate(row)
