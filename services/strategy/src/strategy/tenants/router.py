"""The tenant's strategy settings (thin routes)."""

from __future__ import annotations

from fastapi import APIRouter

from strategy.deps import Reader, Writer
from strategy.tenants import service
from strategy.tenants.schemas import TenantSettingsOut, TenantSettingsUpdate
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.get("")
async def get_settings(principal: Reader, session: SessionDep) -> TenantSettingsOut:
    return await service.get(session, principal.tenant_id)


@router.put("")
async def put_settings(
    body: TenantSettingsUpdate, principal: Writer, session: SessionDep, clock: ClockDep
) -> TenantSettingsOut:
    """The month the tenant's clients' fiscal years start in; the roadmap's quarters follow it."""
    return await service.update(session, principal, clock, body)
