"""Statements on one row of a tenant's table, found by its id: the tenant is always part of the match."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import Insert, insert


def one(table: sa.Table, tenant_id: str, row_id: uuid.UUID, *, for_update: bool = False) -> sa.Select[Any]:
    """SELECT the row, locked FOR UPDATE until the transaction ends when `for_update`."""
    query = sa.select(table).where(table.c.tenant_id == tenant_id, table.c.id == row_id)
    return query.with_for_update() if for_update else query


def update_one(table: sa.Table, tenant_id: str, row_id: uuid.UUID, values: dict[str, Any]) -> sa.Update:
    """UPDATE the row with `values`, RETURNING the row as it now stands."""
    return (
        sa.update(table).where(table.c.tenant_id == tenant_id, table.c.id == row_id).values(**values).returning(table)
    )


def upsert(table: sa.Table, row: dict[str, Any]) -> Insert:
    """INSERT the row, or on its (tenant_id, id) overwrite every other column given: a copy of another service's
    row, where the newest event's description wins and a redelivery writes the same row again."""
    query = insert(table).values(**row)
    return query.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.id],
        set_={k: query.excluded[k] for k in row if k not in ("tenant_id", "id")},
    )
