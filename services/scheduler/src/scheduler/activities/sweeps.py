"""The overdue sweep: a PeriodicTask, run by one replica at a time under its advisory lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities import service
from vcio_shared.runtime import PeriodicTask


async def run_overdue_sweep(session: AsyncSession, runtime: Any) -> int:
    return await service.overdue_sweep(session, runtime.clock.now())


OVERDUE_SWEEP = PeriodicTask(name="overdue", interval=300.0, run=run_overdue_sweep)
