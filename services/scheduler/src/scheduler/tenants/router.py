"""Tenant settings routes."""

from __future__ import annotations

from fastapi import APIRouter

from scheduler.deps import Reader, Writer
from scheduler.tenants import service
from scheduler.tenants.schemas import SettingsOut, SettingsUpdate
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.get("")
async def get_settings(principal: Reader, session: SessionDep) -> SettingsOut:
    return await service.get(session, principal.tenant_id)


@router.put("")
async def put_settings(body: SettingsUpdate, principal: Writer, session: SessionDep, clock: ClockDep) -> SettingsOut:
    return await service.put(session, principal, body, clock.now())
