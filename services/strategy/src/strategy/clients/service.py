"""What strategy knows of a tenant's clients."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.clients import repository
from vcio_shared.errors import NotFound


async def known(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> Any:
    """The client's row, or a 404: a client neither proposals told of nor any assessment or initiative named
    (another tenant's client is one of those)."""
    row = await repository.get(session, tenant_id, client_id)
    if row is None:
        raise NotFound("no such client")
    return row
