"""Every standard query. A tenant reads its own standards and the starter (tenant_id NULL)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.standards.models import questions_t, standards_t


def _visible(tenant_id: str) -> sa.ColumnElement[bool]:
    return sa.or_(standards_t.c.tenant_id == tenant_id, standards_t.c.tenant_id.is_(None))


async def get_version(
    session: AsyncSession, tenant_id: str, standard_id: uuid.UUID, version: int | None, *, published: bool = False
) -> Any:
    """A version the tenant may read (the latest, or the latest published, when none is named)."""
    query = sa.select(standards_t).where(_visible(tenant_id), standards_t.c.id == standard_id)
    if version is not None:
        query = query.where(standards_t.c.version == version)
    if published:
        query = query.where(standards_t.c.status == "published")
    query = query.order_by(standards_t.c.version.desc()).limit(1)
    return (await session.execute(query)).mappings().first()


async def lock(session: AsyncSession, standard_id: uuid.UUID) -> None:
    """Serialise edits of one standard (its versions) within a transaction."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"standard:{standard_id}"))))


async def list_latest(session: AsyncSession, tenant_id: str, *, after: uuid.UUID | None, limit: int) -> list[Any]:
    """The latest version of each standard the tenant reads, in id order (the starter among them)."""
    latest = (
        sa.select(standards_t)
        .where(_visible(tenant_id))
        .distinct(standards_t.c.id)
        .order_by(standards_t.c.id, standards_t.c.version.desc())
    )
    if after is not None:
        latest = latest.where(standards_t.c.id > after)
    sub = latest.subquery()
    query = sa.select(sub).order_by(sub.c.id).limit(limit)
    return list((await session.execute(query)).mappings().all())


async def questions_of(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], list[Any]]:
    """Each version's questions, in section then question order."""
    out: dict[tuple[uuid.UUID, int], list[Any]] = {k: [] for k in keys}
    if not keys:
        return out
    query = (
        sa.select(questions_t)
        .where(sa.tuple_(questions_t.c.standard_id, questions_t.c.standard_version).in_(list(keys)))
        .order_by(
            questions_t.c.standard_id,
            questions_t.c.standard_version,
            questions_t.c.section_position,
            questions_t.c.position,
        )
    )
    for row in (await session.execute(query)).mappings():
        out[(row["standard_id"], row["standard_version"])].append(row)
    return out


async def insert_version(session: AsyncSession, row: dict[str, Any], questions: list[dict[str, Any]]) -> None:
    await session.execute(sa.insert(standards_t).values(**row))
    await session.execute(sa.insert(questions_t), questions)


async def replace_draft(
    session: AsyncSession, standard_id: uuid.UUID, version: int, values: dict[str, Any], questions: list[dict[str, Any]]
) -> None:
    key = (standards_t.c.id == standard_id) & (standards_t.c.version == version)
    await session.execute(sa.update(standards_t).where(key).values(**values))
    await session.execute(
        sa.delete(questions_t).where(
            questions_t.c.standard_id == standard_id, questions_t.c.standard_version == version
        )
    )
    await session.execute(sa.insert(questions_t), questions)


async def set_status(session: AsyncSession, standard_id: uuid.UUID, version: int, values: dict[str, Any]) -> None:
    key = (standards_t.c.id == standard_id) & (standards_t.c.version == version)
    await session.execute(sa.update(standards_t).where(key).values(**values))
