"""Every initiative query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.initiatives.models import budget_lines_t, initiatives_t
from vcio_shared.pages import keyset_query


async def insert(session: AsyncSession, row: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    await session.execute(sa.insert(initiatives_t).values(**row))
    if lines:
        await session.execute(sa.insert(budget_lines_t), lines)


async def get(session: AsyncSession, tenant_id: str, initiative_id: uuid.UUID, *, for_update: bool = False) -> Any:
    query = sa.select(initiatives_t).where(initiatives_t.c.tenant_id == tenant_id, initiatives_t.c.id == initiative_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update(session: AsyncSession, initiative_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(sa.update(initiatives_t).where(initiatives_t.c.id == initiative_id).values(**values))


async def replace_lines(session: AsyncSession, initiative_id: uuid.UUID, lines: list[dict[str, Any]]) -> None:
    await session.execute(sa.delete(budget_lines_t).where(budget_lines_t.c.initiative_id == initiative_id))
    if lines:
        await session.execute(sa.insert(budget_lines_t), lines)


async def lines_of(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """Each initiative's budget lines, in their order."""
    out: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
    if not ids:
        return out
    query = (
        sa.select(budget_lines_t)
        .where(budget_lines_t.c.initiative_id.in_(list(ids)))
        .order_by(budget_lines_t.c.initiative_id, budget_lines_t.c.position)
    )
    for row in (await session.execute(query)).mappings():
        out[row["initiative_id"]].append(row)
    return out


async def page(
    session: AsyncSession, tenant_id: str, filters: dict[str, Any], after: uuid.UUID | None, limit: int
) -> list[Any]:
    query = keyset_query(initiatives_t, tenant_id, filters, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())


async def of_client(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> list[Any]:
    """A client's initiatives that are on its roadmap (not declined), in id (creation) order."""
    query = (
        sa.select(initiatives_t)
        .where(
            initiatives_t.c.tenant_id == tenant_id,
            initiatives_t.c.client_id == client_id,
            initiatives_t.c.status != "declined",
        )
        .order_by(initiatives_t.c.id)
    )
    return list((await session.execute(query)).mappings().all())
