"""Tenant settings: the hourly rates per currency and role that pricing uses when a request gives none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.packages.schemas import parse_amount
from catalog.tenants import repository as repo
from catalog.tenants.schemas import SettingsOut, SettingsUpdate
from vcio_shared import audit, money
from vcio_shared.auth import Principal
from vcio_shared.errors import Unprocessable


async def get(session: AsyncSession, tenant_id: str) -> SettingsOut:
    row = await repo.get(session, tenant_id)
    if row is None:
        return SettingsOut(hourly_rates={}, updated_at=None)
    return SettingsOut(hourly_rates=row["hourly_rates"], updated_at=row["updated_at"])


async def rates_for(session: AsyncSession, tenant_id: str, currency: str) -> dict[str, str]:
    """The tenant's saved rates in a currency ({} when none are saved)."""
    row = await repo.get(session, tenant_id)
    return {} if row is None else dict(row["hourly_rates"].get(currency, {}))


def _normalised(body: SettingsUpdate) -> dict[str, dict[str, str]]:
    """Each rate checked in its currency's digits and written back in them ("175" → "175.00"); 422 naming each."""
    errors: list[dict[str, Any]] = []
    out: dict[str, dict[str, str]] = {}
    for currency in sorted(body.hourly_rates):
        out[currency] = {}
        for role in sorted(body.hourly_rates[currency]):
            try:
                minor = parse_amount(body.hourly_rates[currency][role], currency)
            except ValueError as exc:
                errors.append({"loc": ["body", "hourly_rates", currency, role], "msg": str(exc)})
                continue
            out[currency][role] = money.format(minor, currency)
    if errors:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
        raise Unprocessable(detail, errors=errors)
    return out


async def put(session: AsyncSession, principal: Principal, body: SettingsUpdate, now: dt.datetime) -> SettingsOut:
    rates = _normalised(body)
    before = await get(session, principal.tenant_id)
    await repo.upsert(session, principal.tenant_id, rates, now)
    await audit.record(
        session,
        principal,
        "settings.updated",
        "tenant_settings",
        principal.tenant_id,
        {"hourly_rates": {"from": before.hourly_rates, "to": rates}},
    )
    return SettingsOut(hourly_rates=rates, updated_at=now)
