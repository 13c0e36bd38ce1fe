"""MRR and movement queries; always filtered by tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from billing import db


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
    return await db.rows(
        session,
        sa.text(
            "SELECT to_char(on_date, 'YYYY-MM') AS month, currency, kind, sum(amount) AS amount FROM "
            "mrr_movements "
            "WHERE tenant_id = :t AND on_date >= :s AND on_date < :e GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ),
        {"t": tenant_id, "s": start, "e": end},
    )
