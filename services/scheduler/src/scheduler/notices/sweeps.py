"""The weekly digest sweep (declared in `main.py`), run by one replica at a time under its advisory lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.notices import service


async def run_digest_sweep(session: AsyncSession, runtime: Any) -> int:
    return await service.digest_sweep(session, runtime.clock.now())
