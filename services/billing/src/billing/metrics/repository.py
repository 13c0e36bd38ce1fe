"""MRR and movement queries; always filtered by tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db
from billing.agreements.models import MrrMovement

M: sa.Table = MrrMovement.__table__  # type: ignore[attr-defined]


async def mrr(session: AsyncSession, tenant_id: str, as_of: dt.date) -> Sequence[RowMapping]:
    return await db.rows(
        session,
        sa.text(
            "WITH m AS (SELECT currency, sum(amount) AS mrr FROM mrr_movements "
            "           WHERE tenant_id = :t AND on_date <= :d GROUP BY currency), "
            "a AS (SELECT currency, count(*) AS n FROM agreements WHERE tenant_id = :t AND start_date <= :d "
            "      AND :d < LEAST(end_date, COALESCE(cancel_effective_date, end_date)) GROUP BY currency) "
            "SELECT COALESCE(m.currency, a.currency) AS currency, COALESCE(m.mrr, 0) AS mrr, "
            "COALESCE(a.n, 0) AS "
            "n "
            "FROM m FULL JOIN a ON a.currency = m.currency ORDER BY 1"
        ),
        {"t": tenant_id, "d": as_of},
    )


async def movements(session: AsyncSession, tenant_id: str, start: dt.date, end: dt.date) -> Sequence[RowMapping]:
    """The MRR movements of [start, end) summed per month (YYYY-MM), currency and kind."""
    month = sa.func.to_char(M.c.on_date, sa.literal_column("'YYYY-MM'")).label("month")
    stmt = (
        sa.select(month, M.c.currency, M.c.kind, sa.func.sum(M.c.amount).label("amount"))
        .where(M.c.tenant_id == tenant_id, M.c.on_date >= start, M.c.on_date < end)
        .group_by(month, M.c.currency, M.c.kind)
        .order_by(month, M.c.currency, M.c.kind)
    )
    return await db.rows(session, stmt)
