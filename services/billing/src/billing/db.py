"""The billing service's own tables share one registry: its metadata is what Alembic migrates. And the two
ways its repositories read rows."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from vcio_shared.db import make_registry
from vcio_shared.mail import add_mail_table
from vcio_shared.pages import keyset_query

registry = make_registry()
metadata = registry.metadata
MAIL = add_mail_table(metadata)  # the mail outbox (vcio_shared.mail): invoices, receipts, reminders, notices


class Base(SQLModel, registry=registry):
    """Base class of every billing table."""


class TenantRow(Base):
    """The columns every billing table with an id begins with: its uuid7 id and its tenant."""

    id: uuid.UUID = Field(primary_key=True, sa_type=pg.UUID(as_uuid=True))
    tenant_id: str = Field(sa_type=sa.Text, nullable=False)


class AgreementRow(TenantRow):
    """A row that belongs to an agreement (an adjustment, a renewal, an MRR movement)."""

    agreement_id: uuid.UUID = Field(sa_type=pg.UUID(as_uuid=True), foreign_key="agreements.id", nullable=False)


async def rows(
    session: AsyncSession, statement: sa.Executable, params: Mapping[str, Any] | None = None
) -> Sequence[RowMapping]:
    """Every row `statement` returns, as mappings: how the repositories read."""
    return (await session.execute(statement, params)).mappings().all()


async def first(
    session: AsyncSession, statement: sa.Executable, params: Mapping[str, Any] | None = None
) -> RowMapping | None:
    """The first row `statement` returns, as a mapping, or None."""
    return (await session.execute(statement, params)).mappings().first()


def keyset_page(
    table: sa.Table,
    tenant_id: str,
    filters: Mapping[str, Any],
    *,
    after: uuid.UUID | None,
    limit: int,
    newest_first: bool = False,
) -> sa.Select[Any]:
    """`vcio_shared.pages.keyset_query`, or the same page newest first (ids are uuid7: id order is the order rows
    were made), the cursor then meaning "older than"."""
    if not newest_first:
        return keyset_query(table, tenant_id, filters, after=after, limit=limit)
    query = sa.select(table).where(table.c.tenant_id == tenant_id)
    for column, value in filters.items():
        if value is not None:
            query = query.where(table.c[column] == value)
    if after is not None:
        query = query.where(table.c.id < after)
    return query.order_by(table.c.id.desc()).limit(limit + 1)
