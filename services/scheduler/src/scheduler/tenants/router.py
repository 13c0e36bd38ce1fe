"""Tenant settings routes."""

from __future__ import annotations

from fastapi import APIRouter
from vcio_shared.auth import scoped
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep

from scheduler.tenants import service
from scheduler.tenants.schemas import SettingsOut, SettingsUpdate

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.get("")
async def get_settings(principal: scoped("scheduler:read"), session: SessionDep) -> SettingsOut:
    return await service.get(session, principal.tenant_id)


@router.put("")
async def put_settings(body: SettingsUpdate, principal: scoped("scheduler:write"), session: SessionDep,
                       clock: ClockDep) -> SettingsOut:
    return await service.put(session, principal, body, clock.now())
