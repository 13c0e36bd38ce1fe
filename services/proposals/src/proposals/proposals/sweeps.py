"""The expiry sweep (declared in `main.py`), run by one replica at a time under an advisory lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.proposals import flows


async def expire_proposals(session: AsyncSession, runtime: Any) -> int:
    return await flows.expire_due(session, runtime.clock.now())
