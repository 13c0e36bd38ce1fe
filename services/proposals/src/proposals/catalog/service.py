"""Reading our copy of the catalog."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.catalog import repository
from proposals.catalog.schemas import CatalogPackageOut, public
from vcio_shared.errors import NotFound, Unprocessable
from vcio_shared.schemas import Page


def _encode(package_id: uuid.UUID, version: int) -> str:
    return base64.urlsafe_b64encode(package_id.bytes + version.to_bytes(4, "big")).decode().rstrip("=")


def _decode(cursor: str) -> tuple[uuid.UUID, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) != 20:
            raise ValueError("bad length")
        return uuid.UUID(bytes=raw[:16]), int.from_bytes(raw[16:], "big")
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable.field(["query", "cursor"], "invalid cursor") from exc


async def list_packages(
    session: AsyncSession, tenant_id: str, cursor: str | None, limit: int, include_retired: bool
) -> Page[CatalogPackageOut]:
    rows = await repository.list_latest(session, tenant_id, _decode(cursor) if cursor else None, limit, include_retired)
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = _encode(rows[-1].package_id, rows[-1].version) if more and rows else None
    return Page(items=[public(r) for r in rows], next_cursor=nxt)


async def get_package(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None) -> Any:
    row = await repository.get(session, tenant_id, package_id, version)
    if row is None:
        raise NotFound("no such published package")
    return row
