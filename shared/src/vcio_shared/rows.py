"""Statements on one row of a tenant's table, found by its id: the tenant is always part of the match."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa


def one(table: sa.Table, tenant_id: str, row_id: uuid.UUID, *, for_update: bool = False) -> sa.Select[Any]:
    """SELECT the row, locked FOR UPDATE until the transaction ends when `for_update`."""
    query = sa.select(table).where(table.c.tenant_id == tenant_id, table.c.id == row_id)
    return query.with_for_update() if for_update else query


def update_one(table: sa.Table, tenant_id: str, row_id: uuid.UUID, values: dict[str, Any]) -> sa.Update:
    """UPDATE the row with `values`, RETURNING the row as it now stands."""
    return (
        sa.update(table).where(table.c.tenant_id == tenant_id, table.c.id == row_id).values(**values).returning(table)
    )
