from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.tenants import repository as repo
from billing.tenants.schemas import TenantSettingsUpdate
from vcio_shared import audit
from vcio_shared.auth import Principal


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
