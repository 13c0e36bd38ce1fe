"""The expiry sweep: a PeriodicTask, run by one replica at a time under an advisory lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.proposals import service
from vcio_shared.runtime import PeriodicTask


async def expire_proposals(session: AsyncSession, runtime: Any) -> int:
    return await service.expire_due(session, runtime.clock.now())


EXPIRY = PeriodicTask(name="expire-proposals", interval=60.0, run=expire_proposals)
