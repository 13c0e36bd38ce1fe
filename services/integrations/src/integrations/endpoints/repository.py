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
    session: AsyncSession, tenant_id: str, filters: dict[str, Any], after: uuid.UUID | None, limit: int
) -> list[Any]:
    """A page of the tenant's endpoints where each column in `filters` equals its value (None: no filter)."""
    query = keyset_query(endpoints, tenant_id, filters, after=after, limit=limit)
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


async def clear_failing(session: AsyncSession, endpoint_ids: set[uuid.UUID]) -> None:
    """A success ends an endpoint's run of failures; a row with none is not written (no lock is queued on)."""
    e = endpoints.c
    query = sa.update(endpoints).where(e.id.in_(endpoint_ids), e.failing_since.is_not(None)).values(failing_since=None)
    await session.execute(query)


async def note_outcome(session: AsyncSession, endpoint_id: uuid.UUID, ok: bool, now: dt.datetime) -> Any:
    """End (on a success) or start (on a failure) the endpoint's run of failures; on a failure, the row after.
    A success touches the row only when a run of failures was on: every delivery of an endpoint would otherwise
    queue on one row lock."""
    e = endpoints.c
    if ok:
        query = sa.update(endpoints).where(e.id == endpoint_id, e.failing_since.is_not(None)).values(failing_since=None)
        await session.execute(query)
        return None
    query = (
        sa.update(endpoints)
        .where(e.id == endpoint_id)
        .values(failing_since=sa.func.coalesce(e.failing_since, now))
        .returning(endpoints)
    )
    return (await session.execute(query)).mappings().first()
