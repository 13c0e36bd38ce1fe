"""The keyset list query every service's `list_page` builds: one tenant's rows in id order, after a cursor."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa


def keyset_query(
    table: sa.Table, tenant_id: str, filters: Mapping[str, Any], *, after: uuid.UUID | None, limit: int
) -> sa.Select[Any]:
    """SELECT the tenant's rows of `table` where each column in `filters` equals its value (a None value is no
    filter), with id > `after` if given, ordered by id, `limit + 1` rows (the extra row tells the caller that
    a next page exists; `vcio_shared.schemas.page_of` cuts it off)."""
    query = sa.select(table).where(table.c.tenant_id == tenant_id)
    for column, value in filters.items():
        if value is not None:
            query = query.where(table.c[column] == value)
    if after is not None:
        query = query.where(table.c.id > after)
    return query.order_by(table.c.id).limit(limit + 1)
