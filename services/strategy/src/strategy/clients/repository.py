"""Every query of the clients strategy knows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.clients.models import clients_t
from vcio_shared import rows


async def upsert(session: AsyncSession, values: dict[str, Any]) -> None:
    """Proposals' description of a client wins over what was there."""
    await session.execute(rows.upsert(clients_t, values))


async def note(session: AsyncSession, tenant_id: str, client_id: uuid.UUID, now: dt.datetime) -> None:
    """Remember a client an assessment or an initiative named, without a name until proposals' event comes."""
    query = insert(clients_t).values(tenant_id=tenant_id, id=client_id, updated_at=now).on_conflict_do_nothing()
    await session.execute(query)


async def get(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> Any:
    query = sa.select(clients_t).where(clients_t.c.tenant_id == tenant_id, clients_t.c.id == client_id)
    return (await session.execute(query)).mappings().first()
