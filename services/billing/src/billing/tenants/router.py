from __future__ import annotations

from fastapi import APIRouter

from billing.deps import Reader, Writer
from billing.tenants import service
from billing.tenants.schemas import TenantSettingsOut, TenantSettingsUpdate
from vcio_shared.db import SessionDep

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.get("")
async def get_settings(principal: Reader, session: SessionDep) -> TenantSettingsOut:
    return TenantSettingsOut.model_validate(await service.get(session, principal.tenant_id))


@router.put("")
async def put_settings(body: TenantSettingsUpdate, principal: Writer, session: SessionDep) -> TenantSettingsOut:
    return TenantSettingsOut.model_validate(await service.update(session, principal, body))
