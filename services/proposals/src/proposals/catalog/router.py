"""Our copy of the catalog, read-only: what proposals can be built from."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from proposals.catalog import service
from proposals.catalog.schemas import CatalogPackageOut, public
from proposals.deps import Reader
from vcio_shared.db import SessionDep
from vcio_shared.schemas import Page

router = APIRouter(prefix="/v1/catalog/packages", tags=["catalog copy"])


@router.get("")
async def list_packages(
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^([A-Za-z0-9_-]{27})?$")] = None,  # package id + version
    include_retired: bool = False,
) -> Page[CatalogPackageOut]:
    return await service.list_packages(session, principal.tenant_id, cursor, limit, include_retired)


@router.get("/{package_id}")
async def get_package(
    package_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> CatalogPackageOut:
    return public(await service.get_package(session, principal.tenant_id, package_id, version))
