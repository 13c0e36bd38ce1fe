"""Periodic sweeps (each under its advisory lock, so one replica of many runs it)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements.renewals import renewal_sweep
from billing.mail.reminders import send_reminders
from billing.runs import repository as runs_repo
from billing.runs import service as runs
from billing.tenants import repository as tenants_repo


async def renewals(session: AsyncSession, runtime: Any) -> dict[str, int]:
    return await renewal_sweep(session, runtime.clock.now())


async def payment_reminders(session: AsyncSession, runtime: Any) -> dict[str, Any]:
    """Mail each unpaid invoice's reminder on the tenant's reminder days after its due date."""
    return await send_reminders(session, runtime.clock.now())


async def automatic_billing(session: AsyncSession, runtime: Any) -> list[str]:
    """Each tenant's daily run, once its configured hour has come in its own time zone."""
    now = runtime.clock.now()
    await runs_repo.fail_stale_runs(session, now - dt.timedelta(minutes=10), now)
    started = []
    for t in await runs_repo.tenants_for_auto_run(session):
        local = now.astimezone(ZoneInfo(t["timezone"]))
        if not t["enabled"] or local.hour < t["hour"] or t["last_auto_run_on"] == local.date():
            continue
        async with runtime.sessionmaker() as own, own.begin():
            run = await runs.start(
                own, t["tenant_id"], local.date(), trigger="schedule", created_by="schedule", now=now
            )
        await runs.execute(runtime.sessionmaker, runtime.clock, run)
        await tenants_repo.mark_auto_run(session, t["tenant_id"], local.date())
        started.append(str(run["id"]))
    return started
