"""Every query of the clients' invoices and agreements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.invoices.models import agreements_t, invoices_t
from vcio_shared import rows

# An invoice's state only moves forward: a late `issued` does not undo a `paid` or a `voided`.
RANK = {"draft": 0, "issued": 1, "paid": 2, "voided": 3}


async def get_invoice(session: AsyncSession, tenant_id: str, invoice_id: uuid.UUID) -> Any:
    return (await session.execute(rows.one(invoices_t, tenant_id, invoice_id, for_update=True))).mappings().first()


async def put_invoice(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(rows.upsert(invoices_t, row))


async def invoices_between(
    session: AsyncSession, tenant_id: str, client_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[Any]:
    """The client's invoices issued in [start, end), by issue date and number."""
    query = (
        sa.select(invoices_t)
        .where(
            invoices_t.c.tenant_id == tenant_id,
            invoices_t.c.client_id == client_id,
            invoices_t.c.issue_date >= start,
            invoices_t.c.issue_date < end,
        )
        .order_by(invoices_t.c.issue_date, invoices_t.c.number)
    )
    return list((await session.execute(query)).mappings().all())


async def get_agreement(session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID) -> Any:
    query = rows.one(agreements_t, tenant_id, agreement_id, for_update=True)
    return (await session.execute(query)).mappings().first()


async def put_agreement(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(rows.upsert(agreements_t, row))


async def update_agreement(
    session: AsyncSession, tenant_id: str, agreement_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(rows.update_one(agreements_t, tenant_id, agreement_id, values))


async def active_on(session: AsyncSession, tenant_id: str, client_id: uuid.UUID, day: dt.date) -> list[Any]:
    """The client's agreements in force on `day`: started, not ended, not cancelled by then."""
    query = sa.select(agreements_t).where(
        agreements_t.c.tenant_id == tenant_id,
        agreements_t.c.client_id == client_id,
        agreements_t.c.start_date <= day,
        sa.or_(agreements_t.c.end_date.is_(None), agreements_t.c.end_date > day),
        sa.or_(agreements_t.c.cancelled_from.is_(None), agreements_t.c.cancelled_from > day),
    )
    return list((await session.execute(query)).mappings().all())
