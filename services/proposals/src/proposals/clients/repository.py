"""Every query on clients; always filtered by tenant."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from proposals.clients.models import Client
from vcio_shared import rows
from vcio_shared.pages import keyset_query

T = Client.__table__  # type: ignore[attr-defined]


async def insert(session: AsyncSession, values: dict[str, Any]) -> Any:
    return (await session.execute(sa.insert(T).values(**values).returning(T))).one()


async def get(session: AsyncSession, tenant_id: str, client_id: uuid.UUID, *, for_update: bool = False) -> Any:
    return (await session.execute(rows.one(T, tenant_id, client_id, for_update=for_update))).first()


async def update(session: AsyncSession, tenant_id: str, client_id: uuid.UUID, values: dict[str, Any]) -> Any:
    return (await session.execute(rows.update_one(T, tenant_id, client_id, values))).one()


async def list_page(
    session: AsyncSession,
    tenant_id: str,
    after: uuid.UUID | None,
    limit: int,
    email: str | None,
    search: str | None = None,
    ids: list[uuid.UUID] | None = None,
) -> list[Any]:
    """One page by id; `search` matches a piece of the name or the e-mail in any case (LIKE's wildcards in it are
    taken literally), `ids` keeps those clients only."""
    query = keyset_query(T, tenant_id, {"email": email}, after=after, limit=limit)
    if search is not None:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(T.c.name.ilike(pattern, escape="\\"), T.c.email.ilike(pattern, escape="\\")))
    if ids is not None:
        query = query.where(T.c.id.in_(ids))
    return list((await session.execute(query)).all())
