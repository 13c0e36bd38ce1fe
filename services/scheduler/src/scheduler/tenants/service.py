"""Tenant settings: the holiday calendar that moves planned activities off public holidays."""

from __future__ import annotations

import datetime as dt

import holidays
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.tenants import repository as repo
from scheduler.tenants.schemas import SettingsOut, SettingsUpdate
from vcio_shared.audit import record
from vcio_shared.auth import Principal
from vcio_shared.errors import Unprocessable
from vcio_shared.events import emit
from vcio_shared.mail.message import check_address


async def get(session: AsyncSession, tenant_id: str) -> SettingsOut:
    row = await repo.get(session, tenant_id)
    if row is None:
        return SettingsOut(
            holiday_country=None,
            holiday_subdivision=None,
            month_end="skip",
            timezone="UTC",
            mail_reply_to=None,
            updated_at=None,
        )
    return SettingsOut.model_validate(dict(row))


def _check(country: str | None, subdivision: str | None) -> tuple[str | None, str | None]:
    if country is None:
        if subdivision is not None:
            raise Unprocessable.field(["body", "holiday_subdivision"], "a subdivision needs a holiday_country")
        return None, None
    country = country.upper()
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise Unprocessable.field(["body", "holiday_country"], f"no holiday calendar for {country!r}")
    if subdivision is not None and subdivision not in supported[country]:
        raise Unprocessable.field(["body", "holiday_subdivision"], f"{country} has no subdivision {subdivision!r}")
    return country, subdivision


async def put(session: AsyncSession, principal: Principal, body: SettingsUpdate, now: dt.datetime) -> SettingsOut:
    country, subdivision = _check(body.holiday_country, body.holiday_subdivision)
    if body.mail_reply_to is not None:
        check_address("mail_reply_to", body.mail_reply_to)  # one address, no line break: a 422 otherwise
    before = await get(session, principal.tenant_id)
    mail = {"timezone": body.timezone, "mail_reply_to": body.mail_reply_to}
    await repo.upsert(session, principal.tenant_id, country, subdivision, body.month_end, mail, now)
    after = await get(session, principal.tenant_id)
    await record(
        session,
        principal,
        "settings.updated",
        "tenant_settings",
        principal.tenant_id,
        {
            "holiday_country": {"from": before.holiday_country, "to": country},
            "holiday_subdivision": {"from": before.holiday_subdivision, "to": subdivision},
            "month_end": {"from": before.month_end, "to": body.month_end},
            "timezone": {"from": before.timezone, "to": body.timezone},
            "mail_reply_to": {"from": before.mail_reply_to, "to": body.mail_reply_to},
        },
    )
    await emit(
        session, "scheduler", "vcio.scheduler.settings.updated", principal.tenant_id, after.model_dump(mode="json")
    )
    return after
