"""Every report and report-template query."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.reports.models import report_templates_t, reports_t
from vcio_shared.pages import keyset_query


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(sa.insert(reports_t).values(**row))


async def get(session: AsyncSession, tenant_id: str, report_id: uuid.UUID, *, for_update: bool = False) -> Any:
    query = sa.select(reports_t).where(reports_t.c.tenant_id == tenant_id, reports_t.c.id == report_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update(session: AsyncSession, report_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(sa.update(reports_t).where(reports_t.c.id == report_id).values(**values))


async def page(
    session: AsyncSession, tenant_id: str, filters: dict[str, Any], after: uuid.UUID | None, limit: int
) -> list[Any]:
    query = keyset_query(reports_t, tenant_id, filters, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())


async def insert_template(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(sa.insert(report_templates_t).values(**row))


async def get_template(session: AsyncSession, tenant_id: str, template_id: uuid.UUID) -> Any:
    query = sa.select(report_templates_t).where(
        report_templates_t.c.tenant_id == tenant_id, report_templates_t.c.id == template_id
    )
    return (await session.execute(query)).mappings().first()


async def template_page(session: AsyncSession, tenant_id: str, after: uuid.UUID | None, limit: int) -> list[Any]:
    query = keyset_query(report_templates_t, tenant_id, {}, after=after, limit=limit)
    return list((await session.execute(query)).mappings().all())
