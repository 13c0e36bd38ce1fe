"""The billing service's own tables share one registry: its metadata is what Alembic migrates. And the two
ways its repositories read rows."""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from vcio_shared.db import make_registry

registry = make_registry()
metadata = registry.metadata


class Base(SQLModel, registry=registry):
    """Base class of every billing table."""


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
