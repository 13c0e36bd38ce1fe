"""Tenant settings routes."""

from __future__ import annotations

from fastapi import APIRouter

from catalog.deps import Reader, Writer
from catalog.tenants import service
from catalog.tenants.schemas import SettingsOut, SettingsUpdate
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.get("")
async def get_settings(principal: Reader, session: SessionDep) -> SettingsOut:
    """The tenant's hourly rates per currency and role ({} until saved)."""
    return await service.get(session, principal.tenant_id)


@router.put("")
async def put_settings(body: SettingsUpdate, principal: Writer, session: SessionDep, clock: ClockDep) -> SettingsOut:
    """Replace the tenant's settings: pricing and quotes in a currency use its rates when they give none."""
    return await service.put(session, principal, body, clock.now())
