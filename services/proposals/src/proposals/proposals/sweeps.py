"""The sweeps (declared in `main.py`), each run by one replica at a time under an advisory lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.proposals import flows, mail


async def expire_proposals(session: AsyncSession, runtime: Any) -> int:
    return await flows.expire_due(session, runtime.clock.now())


async def remind_before_expiry(session: AsyncSession, runtime: Any) -> int:
    """A reminder to each client whose open proposal's validity ends in three days (mail.send_reminders)."""
    return await mail.send_reminders(session, runtime.clock.now(), runtime.settings.public_base_url)
