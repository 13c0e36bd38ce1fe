"""Every webhook endpoint query."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.endpoints.models import WebhookEndpoint
from vcio_shared.pages import keyset_query

endpoints: sa.Table = WebhookEndpoint.__table__  # type: ignore[attr-defined]


async def insert(session: AsyncSession, row: dict[str, Any]) -> Any:
    return (await session.execute(sa.insert(endpoints).values(**row).returning(endpoints))).mappings().one()


async def get(session: AsyncSession, tenant_id: str, endpoint_id: uuid.UUID, *, for_update: bool = False) -> Any:
    query = sa.select(endpoints).where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update(session: AsyncSession, tenant_id: str, endpoint_id: uuid.UUID, values: dict[str, Any]) -> Any:
    query = (
        sa.update(endpoints)
        .where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
        .values(**values)
        .returning(endpoints)
    )
    return (await session.execute(query)).mappings().first()


async def delete(session: AsyncSession, tenant_id: str, endpoint_id: uuid.UUID) -> bool:
    query = sa.delete(endpoints).where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
    return bool((await session.execute(query)).rowcount)  # type: ignore[attr-defined]


async def page(
    session: AsyncSession, tenant_id: str, enabled: bool | None, after: uuid.UUID | None, limit: int
) -> list[Any]:
    query = keyset_query(endpoints, tenant_id, {"enabled": enabled}, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())


async def enabled_of(session: AsyncSession, tenant_id: str) -> list[Any]:
    """The tenant's enabled endpoints: those an event may go to."""
    query = sa.select(endpoints).where(endpoints.c.tenant_id == tenant_id, endpoints.c.enabled.is_(True))
    return list((await session.execute(query)).mappings().all())


async def disable(session: AsyncSession, endpoint_id: uuid.UUID, reason: str, now: dt.datetime) -> Any:
    """Disable an endpoint still enabled; the row, or None when it was not (already disabled or gone)."""
    query = (
        sa.update(endpoints)
        .where(endpoints.c.id == endpoint_id, endpoints.c.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=now)
        .returning(endpoints)
    )
    return (await session.execute(query)).mappings().first()


async def note_outcome(session: AsyncSession, endpoint_id: uuid.UUID, ok: bool, now: dt.datetime) -> Any:
    """Start (on a failure) or end (on a success) the endpoint's run of failures; the row after."""
    failing = sa.func.coalesce(endpoints.c.failing_since, now) if not ok else None
    query = sa.update(endpoints).where(endpoints.c.id == endpoint_id).values(failing_since=failing).returning(endpoints)
    return (await session.execute(query)).mappings().first()
