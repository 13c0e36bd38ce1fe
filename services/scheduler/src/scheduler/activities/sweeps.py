"""The overdue and weekly digest sweeps (declared in `main.py`), one replica at a time under an advisory lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.activities import notices, service


async def run_overdue_sweep(session: AsyncSession, runtime: Any) -> int:
    return await service.overdue_sweep(session, runtime.clock.now())


async def run_digest_sweep(session: AsyncSession, runtime: Any) -> int:
    return await notices.digest_sweep(session, runtime.clock.now())
