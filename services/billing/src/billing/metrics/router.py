"""Metrics routes (thin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from billing.dates import Day
from billing.deps import Reader
from billing.metrics import service
from vcio_shared.db import SessionDep
from vcio_shared.errors import Unprocessable
from vcio_shared.runtime import ClockDep

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


@router.get("/mrr")
async def mrr(
    principal: Reader, session: SessionDep, clock: ClockDep, as_of: Annotated[Day | None, Query()] = None
) -> dict[str, Any]:
    return {"items": await service.mrr(session, principal.tenant_id, as_of or clock.today()), "next_cursor": None}


@router.get("/movements")
async def movements(
    principal: Reader, session: SessionDep, from_: Annotated[Day, Query(alias="from")], to: Annotated[Day, Query()]
) -> dict[str, Any]:
    if to < from_:
        raise Unprocessable.field(["query", "to"], "must not be before from")
    return {"items": await service.movements(session, principal.tenant_id, from_, to), "next_cursor": None}


@router.get("/activity-value")
async def activity_value(
    principal: Reader, session: SessionDep, from_: Annotated[Day, Query(alias="from")], to: Annotated[Day, Query()]
) -> dict[str, Any]:
    if to < from_:
        raise Unprocessable.field(["query", "to"], "must not be before from")
    return {"items": await service.activity_value(session, principal.tenant_id, from_, to), "next_cursor": None}
