from __future__ import annotations

from fastapi import APIRouter

from billing.deps import Reading, Writing
from billing.tenants import service
from billing.tenants.schemas import TenantSettingsOut, TenantSettingsUpdate

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.get("")
async def get_settings(r: Reading) -> TenantSettingsOut:
    return TenantSettingsOut.model_validate(await service.get(r.session, r.principal.tenant_id))


@router.put("")
async def put_settings(body: TenantSettingsUpdate, w: Writing) -> TenantSettingsOut:
    return TenantSettingsOut.model_validate(await service.update(w.session, w.principal, body))
