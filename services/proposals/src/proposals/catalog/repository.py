"""Every query on our copy of the catalog; always filtered by tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from proposals.catalog.models import CatalogPackage

T = CatalogPackage.__table__  # type: ignore[attr-defined]


async def insert_version(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store a published version once; a published version never changes, so a second copy is ignored."""
    result = await session.execute(insert(T).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def retire(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int, at: dt.datetime) -> int:
    result = await session.execute(
        sa.update(T)
        .where(
            T.c.tenant_id == tenant_id, T.c.package_id == package_id, T.c.version == version, T.c.retired_at.is_(None)
        )
        .values(retired_at=at)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def exists(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int) -> bool:
    return bool(
        await session.scalar(
            sa.select(sa.literal(1)).where(
                T.c.tenant_id == tenant_id, T.c.package_id == package_id, T.c.version == version
            )
        )
    )


async def get(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None) -> Any:
    """A version, or the latest one we know when `version` is None."""
    query = sa.select(T).where(T.c.tenant_id == tenant_id, T.c.package_id == package_id)
    query = query.where(T.c.version == version) if version is not None else query.order_by(T.c.version.desc())
    return (await session.execute(query.limit(1))).first()


async def list_latest(
    session: AsyncSession, tenant_id: str, after: tuple[uuid.UUID, int] | None, limit: int, include_retired: bool
) -> list[Any]:
    query = sa.select(T).where(T.c.tenant_id == tenant_id)
    if not include_retired:
        query = query.where(T.c.retired_at.is_(None))
    if after is not None:
        query = query.where(
            sa.tuple_(T.c.package_id, T.c.version) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    return list((await session.execute(query.order_by(T.c.package_id, T.c.version).limit(limit + 1))).all())
