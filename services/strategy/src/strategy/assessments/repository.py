"""Every assessment query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.assessments.models import assessments_t, responses_t
from vcio_shared.pages import keyset_query


async def insert_assessment(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(sa.insert(assessments_t).values(**row))


async def get(session: AsyncSession, tenant_id: str, assessment_id: uuid.UUID, *, for_update: bool = False) -> Any:
    query = sa.select(assessments_t).where(assessments_t.c.tenant_id == tenant_id, assessments_t.c.id == assessment_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update(session: AsyncSession, assessment_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(sa.update(assessments_t).where(assessments_t.c.id == assessment_id).values(**values))


async def responses_of(session: AsyncSession, assessment_id: uuid.UUID) -> list[Any]:
    query = sa.select(responses_t).where(responses_t.c.assessment_id == assessment_id)
    return list((await session.execute(query)).mappings().all())


async def put_response(session: AsyncSession, row: dict[str, Any]) -> None:
    """One answer per (assessment, question): a second PUT replaces the first (keeping its id, the finding's)."""
    query = insert(responses_t).values(**row)
    query = query.on_conflict_do_update(
        index_elements=[responses_t.c.assessment_id, responses_t.c.question_id],
        set_={k: query.excluded[k] for k in ("answer", "rating", "notes", "updated_by", "updated_at")},
    )
    await session.execute(query)


async def page(
    session: AsyncSession, tenant_id: str, filters: dict[str, Any], after: uuid.UUID | None, limit: int
) -> list[Any]:
    query = keyset_query(assessments_t, tenant_id, filters, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())


async def completed_of_client(session: AsyncSession, tenant_id: str, client_id: uuid.UUID) -> list[Any]:
    """A client's completed assessments, oldest first."""
    query = (
        sa.select(assessments_t)
        .where(
            assessments_t.c.tenant_id == tenant_id,
            assessments_t.c.client_id == client_id,
            assessments_t.c.status == "completed",
        )
        .order_by(assessments_t.c.completed_at, assessments_t.c.id)
    )
    return list((await session.execute(query)).mappings().all())


async def responses_of_client(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are answers in this client's assessments (of this tenant)."""
    if not ids:
        return set()
    query = (
        sa.select(responses_t.c.id)
        .join(assessments_t, assessments_t.c.id == responses_t.c.assessment_id)
        .where(
            responses_t.c.tenant_id == tenant_id,
            assessments_t.c.client_id == client_id,
            responses_t.c.id.in_(list(ids)),
        )
    )
    return set((await session.execute(query)).scalars().all())
